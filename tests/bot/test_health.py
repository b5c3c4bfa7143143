"""GET /healthz through the real app: 200 when all is well, 503 naming what is not."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from bot.app import create_app
from bot.core.messages import Reply, Target
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from schedules.service import SchedulerService
from storage.db import alembic_config, make_engine, session_scope
from storage.outbox import enqueue
from tests.bot.conftest import MakeRuntime
from tests.fakes.clock import FakeClock
from tests.fakes.tcp_proxy import TcpProxy, tcp_proxy

pytestmark = pytest.mark.anyio

MEMBER = Target("wecom", "default", "zhangsan")


@asynccontextmanager
async def app_of(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://zhibu.test") as http:
        yield http


def queue_due(engine: Engine, clock: FakeClock, key: str, *, ago: timedelta) -> None:
    with session_scope(engine) as session:
        enqueue(session, target=MEMBER, reply=Reply("提醒"), dedupe_key=key, not_before=clock.now() - ago)


async def test_a_healthy_process_answers_200_with_each_part(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["failing"] == []
    assert body["database"] == {"ok": True}
    assert body["migrations"] == {"ok": True, "pending": 0}
    assert body["outbox"]["due"] == 0 and body["outbox"]["max_seconds"] == 900
    assert body["scheduler"] == {"role": "no leader"}  # not started: the app's lifespan never ran here


async def test_a_backlog_older_than_the_limit_is_a_503_naming_the_outbox(
    client: httpx.AsyncClient, engine: Engine, clock: FakeClock
) -> None:
    queue_due(engine, clock, "late", ago=timedelta(minutes=1))
    queue_due(engine, clock, "later", ago=timedelta(seconds=10))
    queue_due(engine, clock, "tomorrow", ago=-timedelta(days=1))  # not due: quiet hours, a backoff
    fresh = await client.get("/healthz")
    assert fresh.status_code == 200
    assert fresh.json()["outbox"] | {"max_seconds": 0} == {
        "ok": True,
        "due": 2,
        "oldest_due_seconds": 60.0,
        "max_seconds": 0,
    }
    clock.advance(timedelta(minutes=15))  # nobody sent them: no sender is getting through
    stale = await client.get("/healthz")
    assert stale.status_code == 503
    assert stale.json()["failing"] == ["outbox"] and stale.json()["outbox"]["oldest_due_seconds"] == 960.0


async def test_the_backlog_limit_is_a_setting(
    make_runtime: MakeRuntime, engine: Engine, clock: FakeClock
) -> None:
    queue_due(engine, clock, "late", ago=timedelta(minutes=3))
    async with app_of(make_runtime(health_backlog_minutes=2)) as http:
        assert (await http.get("/healthz")).status_code == 503


async def test_pending_migrations_are_a_503(client: httpx.AsyncClient, engine: Engine) -> None:
    command.stamp(alembic_config(engine), "base")  # as if the code were upgraded but not the database
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"] and response.json()["migrations"]["pending"] >= 1


@contextmanager
def breakable_engine(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Callable[[bool], None]]]:
    """An engine whose database a test can take away and give back: on PostgreSQL the network
    to the server is cut (a TCP proxy), on SQLite the volume holding the file disappears."""
    url = make_url(db_url)
    if url.get_backend_name() == "postgresql":
        with tcp_proxy(url.port or 5432) as proxy:
            engine = make_engine(
                url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
            )
            yield engine, lambda down: _cut(proxy, down)
            engine.dispose()
        return
    volume, away = tmp_path / "volume", tmp_path / "unmounted"
    volume.mkdir()
    shutil.copyfile(url.database or "", volume / "zhibu.db")
    engine = make_engine(f"sqlite:///{volume / 'zhibu.db'}")

    def unmount(down: bool) -> None:
        (volume if down else away).rename(away if down else volume)
        engine.dispose()  # pooled connections would keep the vanished file open

    yield engine, unmount
    engine.dispose()


def _cut(proxy: TcpProxy, down: bool) -> None:
    if down:
        proxy.cut()
    else:
        proxy.restore()


async def test_an_unreachable_database_is_a_503_naming_it_and_healing_is_seen(
    db_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    with breakable_engine(db_url, tmp_path) as (engine, take_away):
        runtime = build_runtime(Settings(database_url=db_url), clock=clock, engine=engine)
        try:
            async with app_of(runtime) as http:
                assert (await http.get("/healthz")).status_code == 200
                take_away(True)
                down = await http.get("/healthz")
                assert down.status_code == 503
                body = down.json()
                assert body["failing"] == ["database"] and body["database"]["ok"] is False
                assert body["database"]["error"] and "127.0.0.1" not in down.text  # a class name, no URL
                assert body["outbox"]["due"] is None and body["migrations"]["ok"] is None
                take_away(False)
                assert (await http.get("/healthz")).status_code == 200
        finally:
            runtime.router.close()


async def test_the_leader_and_a_follower_say_so(make_runtime: MakeRuntime, engine: Engine) -> None:
    leader = make_runtime()
    [scheduler] = [service for service in leader.services if isinstance(service, SchedulerService)]
    scheduler.election.step()  # wins at once: SQLite has one process, PostgreSQL's lock is free
    try:
        async with app_of(leader) as http:
            assert (await http.get("/healthz")).json()["scheduler"] == {"role": "leader"}
        if engine.dialect.name == "postgresql":
            async with app_of(make_runtime(schedules={"enabled": False})) as http:
                assert (await http.get("/healthz")).json()["scheduler"] == {"role": "follower"}
    finally:
        scheduler.election.stop()
    webhooks_only = make_runtime(schedules={"enabled": False})
    async with app_of(webhooks_only) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200 and response.json()["scheduler"] == {"role": "no leader"}
