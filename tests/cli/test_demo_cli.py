from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def flat(output: str) -> str:
    """The printed text without the panel frames and line wrapping."""
    return re.sub(r"[\s│╭╮╰╯─]", "", output)


def test_demo_builds_a_fresh_database_and_chats_as_the_first_secretary(cli_env: Path) -> None:
    db = cli_env / "zhibu-demo.db"
    result = runner.invoke(app, ["demo", "--db", str(db)], input="我的政治生日\n本月安排\n")
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert "林晓红" in text and "政治生日快乐" in text  # her birthday is today, always
    assert "会议安排" in text and "支委会" in text
    again = runner.invoke(app, ["demo", "--db", str(db), "--no-chat"])
    assert again.exit_code == 0 and "41名虚构党员" in flat(again.output)  # rebuilt, not doubled


def test_demo_can_act_as_another_member_and_ends_on_quit(cli_env: Path) -> None:
    result = runner.invoke(app, ["demo", "--as", "朱婷"], input="我的党龄\nq\n这行不会读到\n")
    assert result.exit_code == 0, result.output
    assert "预备党员" in flat(result.output) and (cli_env / "zhibu-demo.db").exists()


def test_demo_never_overwrites_a_database_that_is_not_a_demo(cli_env: Path) -> None:
    precious = cli_env / "zhibu.db"
    precious.write_bytes(b"real data")
    result = runner.invoke(app, ["demo", "--db", str(precious), "--no-chat"])
    assert result.exit_code == 2 and precious.read_bytes() == b"real data"
