"""`zhibu members invite`, `zhibu members chat-code` and `zhibu audit` against a real database."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app
from bot.router import Router
from tests.workflows.conftest import Chat

runner = CliRunner()


def test_invite_prints_a_code_that_binds(cli_env: Path, district: dict[str, int], router: Router) -> None:
    result = runner.invoke(app, ["members", "invite", "张三"])
    assert result.exit_code == 0, result.output
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", result.output)
    assert code
    # the CLI uses the wall clock; the fixture clock is earlier, so the code is still valid
    assert "绑定成功" in Chat(router, "wx-1", "wx-1").say(f"绑定 {code.group(0)}")


def test_invite_unknown_name_fails_cleanly(cli_env: Path, district: dict[str, int]) -> None:
    result = runner.invoke(app, ["members", "invite", "无名氏"])
    assert result.exit_code != 0
    assert "无名氏" in result.output


def test_audit_lists_actions_and_filters_by_org(
    cli_env: Path, district: dict[str, int], engine: Engine
) -> None:
    assert runner.invoke(app, ["members", "invite", "张三"]).exit_code == 0
    assert runner.invoke(app, ["members", "chat-code", "--org", "第二党支部"]).exit_code == 0
    everything = runner.invoke(app, ["audit"], terminal_width=200)
    assert everything.exit_code == 0, everything.output
    assert "invite" in everything.output and "chat_code" in everything.output
    first = runner.invoke(app, ["audit", "--org", "第一党支部"], terminal_width=200)
    assert "invite" in first.output and "chat_code" not in first.output
    future = runner.invoke(app, ["audit", "--since", "2999-01-01"], terminal_width=200)
    assert "invite" not in future.output
    bad = runner.invoke(app, ["audit", "--since", "yesterday"])
    assert bad.exit_code == 2
