"""Leader election over a PostgreSQL advisory lock: one leader, fast takeover, SQLite always leads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from schedules.leader import LeaderElection
from storage.db import make_engine


class Events:
    """Records what each election told its scheduler to do."""

    def __init__(self) -> None:
        self.log: list[str] = []

    def election(self, engine: Engine) -> LeaderElection:
        return LeaderElection(
            engine,
            on_elected=lambda: self.log.append("start"),
            on_deposed=lambda: self.log.append("stop"),
            poll_seconds=0.05,
        )


@pytest.fixture
def pg_engines(engine: Engine, db_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one PostgreSQL database, as two `zhibu serve` processes would have."""
    if engine.dialect.name != "postgresql":
        pytest.skip("advisory locks need PostgreSQL (ZHIBU_TEST_PG_URL)")
    other = make_engine(db_url)
    yield engine, other
    other.dispose()


def test_on_sqlite_the_only_process_is_always_leader(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'one.db'}")
    events = Events()
    election = events.election(eng)
    assert election.step() and election.step()
    election.stop()
    assert events.log == ["start", "stop"]
    assert not [r for r in caplog.records if r.levelname == "WARNING"], "a clean shutdown is not a lost lock"
    eng.dispose()


def test_a_leader_that_cannot_start_its_scheduler_lets_go_and_tries_again(
    pg_engines: tuple[Engine, Engine],
) -> None:
    tries: list[str] = []

    def start_fails_once() -> None:
        tries.append("start")
        if len(tries) == 1:
            raise RuntimeError("the job store could not be read")

    a = LeaderElection(pg_engines[0], on_elected=start_fails_once, on_deposed=lambda: None, poll_seconds=0.05)
    with pytest.raises(RuntimeError):
        a.step()
    assert not a.is_leader
    b = Events().election(pg_engines[1])
    assert b.step(), "the lock was let go, so another process can lead"
    b.stop()
    assert a.step() and tries == ["start", "start"]
    a.stop()


def test_exactly_one_process_leads_and_another_takes_over_when_it_stops(
    pg_engines: tuple[Engine, Engine],
) -> None:
    first, second = Events(), Events()
    a, b = first.election(pg_engines[0]), second.election(pg_engines[1])
    assert a.step()
    assert not b.step() and not b.step()
    assert a.step()
    a.stop()
    assert b.step()
    assert first.log == ["start", "stop"] and second.log == ["start"]
    b.stop()


def test_a_leader_whose_session_dies_steps_down_and_the_lock_passes_on(
    pg_engines: tuple[Engine, Engine],
) -> None:
    first, second = Events(), Events()
    a, b = first.election(pg_engines[0]), second.election(pg_engines[1])
    assert a.step() and not b.step()
    with pg_engines[1].connect() as admin:
        killed = (
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid, 10000) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"  # noqa: E501
                )
            )
            .scalars()
            .all()
        )
    assert killed == [True]
    assert b.step(), "the lock is free once the leader's session is gone"
    assert not a.step(), "the old leader notices its session is gone and stops its scheduler"
    assert first.log == ["start", "stop"] and second.log == ["start"]
    a.stop()
    b.stop()


def test_the_background_thread_elects_and_releases(pg_engines: tuple[Engine, Engine]) -> None:
    elected = threading.Event()
    a = LeaderElection(pg_engines[0], on_elected=elected.set, on_deposed=lambda: None, poll_seconds=0.05)
    a.start()
    assert elected.wait(timeout=30), "the polling thread takes the free lock"
    b = Events().election(pg_engines[1])
    assert not b.step()
    a.stop()
    assert b.step()
    b.stop()
