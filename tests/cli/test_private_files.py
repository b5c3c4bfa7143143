"""What `zhibu init` and `zhibu demo` create is readable by its owner only, and no password is printed."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import PG_URL

runner = CliRunner()


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask of most servers (022): without care, new files are readable by every local user."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _modes(*paths: Path) -> dict[str, int]:
    return {path.name: stat.S_IMODE(path.stat().st_mode) for path in paths if path.exists()}


@pytest.mark.skipif(bool(PG_URL), reason="the SQLite file of a fresh installation")
def test_init_writes_config_and_database_for_the_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZHIBU_DATABASE_URL", raising=False)
    monkeypatch.delenv("ZHIBU_CONFIG", raising=False)
    monkeypatch.setenv("ZHIBU_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    created = _modes(
        tmp_path / "zhibu.toml", tmp_path / "zhibu.db", tmp_path / "zhibu.db-wal", tmp_path / "zhibu.db-shm"
    )
    assert {"zhibu.toml", "zhibu.db"} <= created.keys()
    assert created == {name: 0o600 for name in created}


def test_the_demo_database_is_for_the_owner_only(cli_env: Path) -> None:
    path = cli_env / "zhibu-demo.db"
    result = runner.invoke(app, ["demo", "--no-chat", "--db", str(path)])
    assert result.exit_code == 0, result.output
    created = _modes(path, path.with_name("zhibu-demo.db-wal"), path.with_name("zhibu-demo.db-shm"))
    assert "zhibu-demo.db" in created and created == {name: 0o600 for name in created}


@pytest.mark.skipif(not PG_URL, reason="needs a PostgreSQL URL with a password (scripts/postgres.sh)")
def test_init_prints_the_postgresql_url_without_its_password(cli_env: Path) -> None:
    password = make_url(os.environ["ZHIBU_DATABASE_URL"]).password
    assert password
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert "***@" in result.output
    assert f":{password}@" not in result.output
