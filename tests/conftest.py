"""Shared fixtures: a migrated database per test, a fake clock, a CLI environment.

The database is SQLite (a WAL file, never :memory:) unless ZHIBU_TEST_PG_URL
points at a PostgreSQL server, in which case every test gets a fresh database
cloned from a migrated template there. CI runs the suite both ways.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from bot.core.clock import SHANGHAI
from storage.db import make_engine, upgrade
from tests.fakes.clock import FakeClock

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

PG_URL = os.environ.get("ZHIBU_TEST_PG_URL", "")
TEMPLATE_DB = "zhibu_test_template"


def _pg_admin(url: str) -> Engine:
    return make_engine(
        make_url(url).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated once per session; each test gets a copy."""
    if PG_URL:
        admin = _pg_admin(PG_URL)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{TEMPLATE_DB}"'))
        template = make_engine(
            make_url(PG_URL).set(database=TEMPLATE_DB).render_as_string(hide_password=False)
        )
        upgrade(template)
        template.dispose()
        admin.dispose()
        return TEMPLATE_DB
    path = tmp_path_factory.mktemp("template") / "template.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return str(path)


@pytest.fixture
def db_url(_template: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, fully migrated database for this test alone."""
    if PG_URL:
        name = f"zt_{uuid.uuid4().hex[:12]}"
        admin = _pg_admin(PG_URL)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_template}"'))
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    path = tmp_path / "zhibu.db"
    shutil.copyfile(_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI))


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run CLI commands in an empty directory against this test's database, with no stray config."""
    for key in list(os.environ):
        if key.startswith("ZHIBU_") and key != "ZHIBU_TEST_PG_URL":
            monkeypatch.delenv(key)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("ZHIBU_DATABASE_URL", db_url)
    monkeypatch.setenv("ZHIBU_DATA_DIR", str(workdir))
    return workdir
