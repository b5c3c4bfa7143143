"""Engine and session set-up, and the guard against running on an old schema.

SQLite (the default) gets WAL, foreign keys and a busy timeout so the web
process, the sender and the CLI can share one file; PostgreSQL comes in through
``ZHIBU_DATABASE_URL``. The SQLite file holds members' names, phones and dates,
so it is created readable by its owner only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Result, event, inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

from bot.core.errors import ZhibuError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# The newest revision in storage/migrations/versions (tests/storage/test_db.py checks it): a database
# stamped with it is confirmed current by two small queries, without importing alembic, which would cost a
# short command such as `zhibu ask` a tenth of a second or more.
HEAD = "0001"


class SchemaOutdated(ZhibuError):
    """The database is behind the code: ``zhibu db upgrade`` must run first."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            event.listen(engine, "do_connect", lambda *_: _create_private(path))
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "before_cursor_execute", _note_writes)
    return engine


def _create_private(path: Path) -> None:
    """Create a missing SQLite file with mode 0600 before SQLite would create it 0644 (umask 022).

    SQLite gives the -wal and -shm files the database file's mode, so they are private too.
    An existing file keeps the mode its owner gave it.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def display_url(url: str) -> str:
    """The database URL with its password masked, for anything printed or logged."""
    return make_url(url).render_as_string(hide_password=True)


_WROTE = "zhibu.wrote"


def _note_writes(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        conn.info[_WROTE] = True


def start_watching_writes(session: Session) -> None:
    """Forget earlier writes on this session's connection; ``has_written`` then reports only later ones."""
    session.connection().info.pop(_WROTE, None)


def has_written(session: Session) -> bool:
    """Whether the session's open transaction changed anything since ``start_watching_writes``.

    Lets the router commit a read-only answer's bookkeeping in a batch with others, while
    an answer that wrote keeps its own transaction.
    """
    session.flush()
    return bool(session.connection().info.get(_WROTE))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(files("storage") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


@cache
def _migrations() -> ScriptDirectory:
    """The migrations shipped with this code: read once."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def pending_migrations(engine: Engine) -> list[str]:
    """Revisions the code knows that the database has not applied, oldest first."""
    with engine.connect() as conn:
        return pending_on(conn)


def pending_on(conn: Connection) -> list[str]:
    """``pending_migrations`` over a connection the caller already holds (two queries when current)."""
    if applied(conn) == [HEAD]:
        return []
    from alembic.runtime.migration import MigrationContext

    current = set(MigrationContext.configure(conn).get_current_heads())
    pending: list[str] = []
    for rev in _migrations().walk_revisions():
        if rev.revision in current:
            break
        pending.append(rev.revision)
    return list(reversed(pending))


def applied(conn: Connection) -> list[str]:
    """The revisions alembic has stamped on the database (none on a fresh one)."""
    if not inspect(conn).has_table("alembic_version"):
        return []
    return list(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())


def require_current(engine: Engine) -> None:
    pending = pending_migrations(engine)
    if pending:
        raise SchemaOutdated(
            f"数据库结构需要升级（{len(pending)} 个迁移未执行），请先运行 zhibu db upgrade / "
            f"the database schema is behind ({len(pending)} pending migration(s)): run `zhibu db upgrade`"
        )


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (SQLAlchemy types ``Session.execute`` as a plain Result)."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def insert_of(session: Session) -> Any:
    """The dialect's INSERT, for ``on_conflict_do_nothing`` (both dialects have it, spelled alike)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
