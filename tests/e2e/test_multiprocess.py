"""Three ``zhibu serve`` processes on one PostgreSQL: one scheduler leader, shared sending, kill -9.

Real processes, a real database server and a fake WeChat API on loopback that
records every send. Skipped without ZHIBU_TEST_PG_URL (CI provides it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, func, select

from bot.core.messages import Reply, Target
from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus
from storage.outbox import enqueue
from tests.bot.callbacks import OA_APP_ID, OA_TOKEN
from tests.e2e.harness import ServeProcess, serving, wait_for
from tests.fakes.serve import serve
from tests.fakes.wechat_api import FakeWeChatApi

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

LEASE_SECONDS = 5
BROADCAST = 300
SENDER_BATCH = 20  # bot.sender.Sender's default: what a killed process can have in flight at most


@pytest.fixture
def pg_engine(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("several processes need PostgreSQL (ZHIBU_TEST_PG_URL)")
    return engine


@pytest.fixture
def wechat_api() -> Iterator[tuple[FakeWeChatApi, str]]:
    api = FakeWeChatApi()
    with serve(api.app) as base:
        yield api, base


def _config(workdir: Path, db_url: str, api_base: str) -> dict[str, str]:
    config = workdir / "zhibu.toml"
    config.write_text(
        f'[wechat.default]\napp_id = "{OA_APP_ID}"\ntoken = "{OA_TOKEN}"\napp_secret = "e2e-secret"\n'
        f'api_base_url = "{api_base}/cgi-bin/"\n',
        encoding="utf-8",
    )
    return {
        "ZHIBU_CONFIG": str(config),
        "ZHIBU_DATABASE_URL": db_url,
        "ZHIBU_DATA_DIR": str(workdir),
        "ZHIBU_SENDER_LEASE_SECONDS": str(LEASE_SECONDS),
    }


def _leader(engine: Engine) -> str | None:
    """The application_name (PGAPPNAME) of the process holding the scheduler's advisory lock."""
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted"
        )).scalar()


def _unsent(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(Delivery).where(Delivery.status != DeliveryStatus.SENT)
        ).one()


def test_three_processes_one_leader_takeover_and_every_message_delivered(
    pg_engine: Engine, db_url: str, wechat_api: tuple[FakeWeChatApi, str], tmp_path: Path
) -> None:
    api, base = wechat_api
    env = _config(tmp_path, db_url, base)
    procs = [ServeProcess(f"serve{i}", {**env, "PGAPPNAME": f"serve{i}"}, tmp_path) for i in range(3)]
    with serving(procs) as running:
        wait_for(lambda: _leader(pg_engine) is not None, 30, "a scheduler leader")
        leader_name = _leader(pg_engine)
        with pg_engine.connect() as conn:
            holders = conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")).scalar()
        assert holders == 1, "exactly one process holds the scheduler lock"

        with session_scope(pg_engine) as session:
            for i in range(BROADCAST):
                target = Target("wechat", "default", f"o-member-{i:04d}", False)
                enqueue(session, target=target, reply=Reply(f"支部通知 #{i}"), dedupe_key=f"e2e:{i}", batch="e2e")
        wait_for(lambda: len(api.sent("message/custom/send")) >= BROADCAST // 4, 60, "sending to start")

        leader = next(p for p in running if p.name == leader_name)
        leader.kill()
        wait_for(lambda: _leader(pg_engine) not in (None, leader_name), 30, "another process to take over the scheduler")
        wait_for(lambda: _unsent(pg_engine) == 0, 120, "every delivery sent")
        assert all(p.alive for p in running if p is not leader), [p.log() for p in running]

    sends = Counter(r.body["text"]["content"] for r in api.sent("message/custom/send") if r.body.get("_ok"))
    assert set(sends) == {f"支部通知 #{i}" for i in range(BROADCAST)}, "nothing lost"
    repeated = sum(n - 1 for n in sends.values())
    assert repeated <= SENDER_BATCH, f"only what the killed process had in flight may repeat ({repeated})"
