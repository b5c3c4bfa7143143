from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app


def test_serve_refuses_a_misconfigured_account_before_listening(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIBU_WECHAT__DEFAULT__APP_ID", "wx1234567890abcdef")
    monkeypatch.setenv("ZHIBU_WECHAT__DEFAULT__TOKEN", "t")
    result = CliRunner().invoke(app, ["serve", "--port", "0"])
    assert result.exit_code == 4, result.output
    assert "wechat.default.token" in result.output
