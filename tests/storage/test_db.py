from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from storage.db import (
    HEAD,
    SchemaOutdated,
    alembic_config,
    make_engine,
    pending_migrations,
    require_current,
    session_scope,
    upgrade,
)
from storage.models import Delivery, Identity, Member, Organization, OrgKind


def _org(session: Session, name: str = "第一党支部", parent: int | None = None) -> Organization:
    org = Organization(name=name, kind=OrgKind.BRANCH, parent_id=parent)
    session.add(org)
    session.flush()
    return org


def test_migrations_match_the_models(engine: Engine) -> None:
    """A model change without a migration would only show up on a user's machine; catch it here."""
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": _skip_scheduler, "compare_type": False}),
            SQLModel.metadata,
        )
    assert diff == []


def _skip_scheduler(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    return not (type_ == "table" and name == "apscheduler_jobs")


def test_a_fresh_database_reports_pending_migrations(tmp_path) -> None:  # type: ignore[no-untyped-def]
    eng = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert pending_migrations(eng) != []
    with pytest.raises(SchemaOutdated, match="zhibu db upgrade"):
        require_current(eng)
    upgrade(eng)
    assert pending_migrations(eng) == []
    require_current(eng)


def test_head_names_the_newest_migration() -> None:
    newest = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert newest == HEAD, f"a migration was added: set storage.db.HEAD to {newest!r}"


def test_a_database_stamped_with_another_revision_is_not_taken_for_current(tmp_path) -> None:  # type: ignore[no-untyped-def]
    eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(eng)
    with eng.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00d'")
    with pytest.raises(SchemaOutdated, match="zhibu db upgrade"):
        require_current(eng)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Member(name="无组织", org_id=9999, joined_on=date(2000, 1, 1)))


def test_sibling_organizations_need_distinct_names(engine: Engine) -> None:
    with session_scope(engine) as session:
        parent = _org(session, "街道党工委")
        _org(session, "第一党支部", parent.id)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        _org(session, "第一党支部", parent.id)


def test_a_phone_belongs_to_one_member_and_an_identity_to_one_binding(engine: Engine) -> None:
    with session_scope(engine) as session:
        org = _org(session)
        a = Member(name="甲", org_id=org.id, joined_on=date(2001, 7, 1), phone="13800000001")  # type: ignore[arg-type]
        session.add(a)
        session.flush()
        session.add(Identity(channel="wechat", account="default", external_id="o1", member_id=a.id))  # type: ignore[arg-type]
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Member(name="乙", org_id=org.id, joined_on=date(2002, 7, 1), phone="13800000001"))  # type: ignore[arg-type]
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Identity(channel="wechat", account="default", external_id="o1", member_id=a.id))  # type: ignore[arg-type]


def test_datetimes_come_back_aware_and_equal(engine: Engine) -> None:
    beijing = timezone(timedelta(hours=8))
    moment = datetime(2026, 12, 1, 9, 0, tzinfo=beijing)
    with session_scope(engine) as session:
        session.add(
            Delivery(
                dedupe_key="k1",
                channel="console",
                account="local",
                chat_id="c",
                text="hi",
                next_try_at=moment,
            )
        )
    with Session(engine) as session:
        stored = session.get(Delivery, 1)
        assert stored is not None
        assert stored.next_try_at == moment
        assert stored.next_try_at.tzinfo is not None
        assert stored.next_try_at.astimezone(UTC).hour == 1


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive"), session_scope(engine) as session:
        session.add(
            Delivery(
                dedupe_key="k2",
                channel="c",
                account="a",
                chat_id="x",
                text="t",
                next_try_at=datetime(2026, 1, 1),
            )
        )
