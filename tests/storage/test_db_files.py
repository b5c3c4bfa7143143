"""The SQLite file holds names, phones and dates of members: nobody but its owner may read it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import display_url, make_engine, upgrade


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask of most servers (022), under which files are world-readable unless made otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("usual_umask")
def test_a_new_sqlite_database_and_its_wal_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "zhibu.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:  # a write, so the -wal and -shm files exist
        conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
        files = [path, path.with_name("zhibu.db-wal"), path.with_name("zhibu.db-shm")]
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
    engine.dispose()


@pytest.mark.usefixtures("usual_umask")
def test_an_existing_database_keeps_the_mode_its_owner_gave_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()
    assert _mode(path) == 0o640


def test_a_database_url_is_shown_without_its_password() -> None:
    shown = display_url("postgresql://zhibu:s3cret-Pw@db.internal:5432/zhibu")
    assert "s3cret-Pw" not in shown
    assert shown == "postgresql://zhibu:***@db.internal:5432/zhibu"
    assert display_url("sqlite:////srv/zhibu/zhibu.db") == "sqlite:////srv/zhibu/zhibu.db"
