"""`zhibu wishes` and `zhibu points` on the demo world."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from bot.cli import app
from storage.db import session_scope
from storage.demo import build_demo
from storage.models import AuditLog, Delivery, Member, PointEntry, Wish

runner = CliRunner()


def _demo(engine: Engine) -> None:
    with session_scope(engine) as session:
        build_demo(session, today=date.today(), chats=("console", "local"))


def test_wishes_add_list_show_cancel_and_export(cli_env: Path, engine: Engine) -> None:
    _demo(engine)
    added = runner.invoke(
        app,
        [
            "wishes",
            "add",
            "--org",
            "和平社区党委",
            "--title",
            "帮老人贴春联",
            "--due",
            "2099-01-20",
            "--places",
            "2",
            "--for",
            "=HYPERLINK(1)",
        ],
    )
    assert added.exit_code == 0, added.output
    wish_id = int(re.search(r"已发布心愿 (\d+)", added.output).group(1))  # type: ignore[union-attr]
    with Session(engine) as session:
        told = session.exec(select(Delivery).where(col(Delivery.kind) == "wish")).all()
        assert told and all(d.is_group for d in told)  # nobody in the demo is bound to a private chat
    listed = runner.invoke(app, ["wishes", "list", "--org", "和平社区党委", "--state", "open"])
    assert "wishes (4)" in listed.output  # the three open in the demo and this one, not the confirmed ones
    assert "0/2" in runner.invoke(app, ["wishes", "show", str(wish_id)]).output
    assert runner.invoke(app, ["wishes", "cancel", str(wish_id)]).exit_code == 0
    again = runner.invoke(app, ["wishes", "cancel", str(wish_id)])
    assert again.exit_code != 0 and "已经取消" in again.output
    assert (
        runner.invoke(
            app, ["wishes", "add", "--org", "街道机关党支部", "--title", "x", "--due", "2099-01-01"]
        ).exit_code
        == 2
    )

    out = cli_env / "wishes.xlsx"
    assert runner.invoke(app, ["wishes", "export", "--org", "和平社区党委", "-o", str(out)]).exit_code == 0
    sheet = load_workbook(BytesIO(out.read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("编号", "心愿") and len(rows) == 1 + 7
    mine = next(r for r in rows if r[0] == wish_id)
    assert mine[2] == "=HYPERLINK(1)" and mine[7] == "已取消"  # a typed formula stays text
    assert any("马骏（已完成" in (r[8] or "") for r in rows)


def test_points_ledger_ranking_reverse_and_export(cli_env: Path, engine: Engine) -> None:
    _demo(engine)
    ledger = runner.invoke(app, ["points", "ledger", "--member", "马骏"])
    assert ledger.exit_code == 0 and "马骏" in ledger.output
    assert "+3 " in ledger.output and "+5 " in ledger.output  # a wish and his 报到
    with Session(engine) as session:
        ma = session.exec(select(Member).where(Member.name == "马骏")).one()
        entry = session.exec(
            select(PointEntry).where(PointEntry.member_id == ma.id, PointEntry.source == "wish")
        ).first()
        assert entry is not None
    ranking = runner.invoke(app, ["points", "ranking", "--org", "和平社区党委"])
    assert ranking.exit_code == 0 and "马骏" in ranking.output and "何秀云" in ranking.output
    undo = runner.invoke(app, ["points", "reverse", str(entry.id), "--reason", "登记错了"])
    assert undo.exit_code == 0 and "-3" in undo.output
    twice = runner.invoke(app, ["points", "reverse", str(entry.id), "--reason", "again"])
    assert twice.exit_code != 0 and "已经冲正过" in twice.output
    with Session(engine) as session:
        assert session.exec(select(AuditLog).where(AuditLog.action == "points_reverse")).one()
        assert session.get(PointEntry, entry.id).points == 3  # type: ignore[union-attr]  # the original stays

    out = cli_env / "points.xlsx"
    assert runner.invoke(app, ["points", "export", "--org", "街道机关党支部", "-o", str(out)]).exit_code == 0
    book = load_workbook(BytesIO(out.read_bytes()))
    summary = list(book["积分汇总"].iter_rows(values_only=True))
    assert summary[0] == ("姓名", "所在支部", "报到", "组织生活", "微心愿", "冲正", "合计")
    row = next(r for r in summary if r[0] == "马骏")
    assert row[1] == "街道机关党支部" and row[5] == -3 and row[6] == sum(row[2:6])
    assert any(r[2] and "冲正" in r[2] for r in book["积分明细"].iter_rows(values_only=True))
    with Session(engine) as session:
        assert session.exec(select(Wish)).first() is not None
