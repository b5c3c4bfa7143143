from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage.db import make_engine, session_scope
from storage.models import Member, MemberStatus, Organization, OrgKind, Role

runner = CliRunner()


def _seed(db_url: str) -> None:
    with session_scope(make_engine(db_url)) as session:
        top = Organization(name="幸福街道党工委", kind=OrgKind.WORKING_COMMITTEE)
        session.add(top)
        session.flush()
        branch = Organization(name="第一党支部", kind=OrgKind.BRANCH, parent_id=top.id)
        session.add(branch)
        session.flush()
        session.add(
            Member(
                name="王建国",
                org_id=branch.id,
                role=Role.SECRETARY,
                joined_on=date(1996, 11, 23),  # type: ignore[arg-type]
                full_on=date(1997, 11, 23),
                phone="13912345678",
                status=MemberStatus.FULL,
            )
        )
        session.add(
            Member(
                name="李小梅", org_id=branch.id, joined_on=date(2026, 3, 5), status=MemberStatus.PROBATIONARY
            )  # type: ignore[arg-type]
        )


def test_every_command_has_help() -> None:
    for args in ([], ["db"], ["orgs"], ["members"], ["ask"], ["chat"], ["init"], ["members", "list"]):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage" in result.output


def test_init_writes_a_commented_config_and_a_current_database(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZHIBU_DATABASE_URL", raising=False)
    monkeypatch.setenv("ZHIBU_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "zhibu.toml").read_text(encoding="utf-8").startswith("# zhibu configuration")
    assert (tmp_path / "zhibu.db").exists()
    assert runner.invoke(app, ["db", "status"]).exit_code == 0


def test_commands_refuse_an_outdated_database_with_a_clear_message(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.db").touch()  # an empty SQLite file: no tables, every migration pending
    monkeypatch.setenv("ZHIBU_DATABASE_URL", f"sqlite:///{tmp_path / 'old.db'}")
    result = runner.invoke(app, ["orgs", "tree"])
    assert result.exit_code == 5
    assert "zhibu db upgrade" in result.output
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["orgs", "tree"]).exit_code == 0


def test_a_command_on_a_missing_database_file_says_so_and_creates_none(cli_env: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    missing = cli_env / "nowhere" / "zhibu.db"
    monkeypatch.setenv("ZHIBU_DATABASE_URL", f"sqlite:///{missing}")
    for args in (["orgs", "tree"], ["members", "list"], ["chat"], ["serve"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 5, (args, result.output)
        assert "no database at" in result.output
        assert "zhibu init" in result.output and "zhibu demo" in result.output
        assert "zhibu db upgrade" not in result.output
    assert not missing.exists() and not missing.parent.exists()


def test_the_tree_of_an_empty_database_says_the_first_import_needs_org(cli_env: Path) -> None:
    result = runner.invoke(app, ["orgs", "tree"])
    assert result.exit_code == 0, result.output
    assert "zhibu members import" in result.output and "--org" in result.output


def test_tree_list_and_show(cli_env: Path, db_url: str) -> None:
    _seed(db_url)
    tree = runner.invoke(app, ["orgs", "tree"])
    assert tree.exit_code == 0, tree.output
    assert "幸福街道党工委" in tree.output and "第一党支部" in tree.output and "2人" in tree.output

    listing = runner.invoke(app, ["members", "list", "--org", "第一党支部"])
    assert listing.exit_code == 0, listing.output
    assert "王建国" in listing.output and "139****5678" in listing.output
    assert "13912345678" not in listing.output

    missing = runner.invoke(app, ["members", "list", "--org", "不存在的支部"])
    assert missing.exit_code != 0 and "不存在的支部" in missing.output

    card = runner.invoke(app, ["members", "show", "王建国"])
    assert card.exit_code == 0 and "1996-11-23" in card.output and "13912345678" in card.output
    assert runner.invoke(app, ["members", "show", "查无此人"]).exit_code == 1


def test_ask_answers_as_the_named_member(cli_env: Path, db_url: str) -> None:
    _seed(db_url)
    result = runner.invoke(app, ["ask", "我的党龄", "--as", "李小梅"])
    assert result.exit_code == 0, result.output
    assert "预备党员" in result.output and "2027年3月5日" in result.output

    stranger = runner.invoke(app, ["ask", "我的党龄"])
    assert "绑定" in stranger.output


def test_the_console_script_answers_questions_without_loading_every_command(
    cli_env: Path,
    db_url: str,
    monkeypatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    import sys

    from bot.cli import run

    _seed(db_url)
    monkeypatch.setattr(sys, "argv", ["zhibu", "ask", "我的党龄", "--as", "李小梅"])
    with pytest.raises(SystemExit) as stopped:
        run()
    assert stopped.value.code == 0
    assert "预备党员" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["zhibu", "orgs", "tree"])
    with pytest.raises(SystemExit) as stopped:
        run()
    assert stopped.value.code == 0
    assert "幸福街道党工委" in capsys.readouterr().out
