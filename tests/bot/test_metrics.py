"""GET /metrics through the real app: callbacks, deliveries, token fetches and the outbox show up."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from bot.app import create_app
from bot.core.messages import Reply, Target
from bot.sender import Sender
from schedules import birthdays
from schedules.service import SchedulerService
from storage.db import session_scope
from storage.outbox import enqueue
from tests.bot.callbacks import text_xml, wechat_post, wechat_table
from tests.bot.conftest import MakeRuntime
from tests.bot.outbox_world import sleeper
from tests.bot.test_telegram import SECRET, TOKEN, update
from tests.fakes.clock import FakeClock
from tests.fakes.robot_api import RobotApi
from tests.fakes.serve import serve
from tests.fakes.wechat_api import FakeWeChatApi

pytestmark = pytest.mark.anyio

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(exposition: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def platforms(clock: FakeClock) -> Iterator[tuple[FakeWeChatApi, str, str]]:
    """A fake 公众号 API and a fake group-robot webhook that knows no key at all."""
    wechat, robots = FakeWeChatApi(), RobotApi(keys=set(), now=lambda: clock.now().timestamp())
    with serve(wechat.app) as wechat_base, serve(robots.app()) as robot_base:
        yield wechat, f"{wechat_base}/cgi-bin/", robot_base


async def test_a_scrape_after_callbacks_and_sends_shows_what_happened(
    make_runtime: MakeRuntime, engine: Engine, clock: FakeClock, platforms: tuple[FakeWeChatApi, str, str]
) -> None:
    wechat, wechat_base, robot_base = platforms
    runtime = make_runtime(
        wechat={"plain": wechat_table(safe=False, api_base_url=wechat_base, timeout=5)},
        robot={"gone": {"webhook_key": "removed-key-1", "base_url": robot_base}},
    )
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://zhibu.test") as http:
        before = samples((await http.get("/metrics")).text)
        now = clock.now()
        signed = wechat_post(text_xml("o-member", "帮助", 7001, int(now.timestamp())), now, safe=False)
        for _ in range(2):  # the platform's retry of the same message
            assert (
                await http.post("/wechat/plain", params=signed.params, content=signed.body)
            ).status_code == 200
        forged = {**signed.params, "signature": "0" * 40}
        assert (await http.post("/wechat/plain", params=forged, content=signed.body)).status_code == 403

        with session_scope(engine) as session:
            for key, target in [
                ("busy", Target("wechat", "plain", "o-busy")),
                ("ok", Target("wechat", "plain", "o-member")),
                ("bad-key", Target("robot", "gone", "gone", is_group=True)),
            ]:
                enqueue(
                    session,
                    target=target,
                    reply=Reply("明天支委会"),
                    dedupe_key=key,
                    kind="reminder",
                    not_before=now - timedelta(minutes=2),
                )
            enqueue(
                session,
                target=Target("wechat", "plain", "o-later"),
                reply=Reply("下周"),
                dedupe_key="later",
                kind="reminder",
                not_before=now + timedelta(days=1),
            )
        wechat.fail_next(-1, path="message/custom/send")  # system busy: the first send comes back later
        sender = Sender(engine, runtime.outbound(), clock, sleep=sleeper(clock), rng=random.Random(1))
        try:
            assert await sender.run_once() == 3
        finally:
            await runtime.channels["robot"]["gone"].aclose()
        response = await http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("zhibu_callbacks_total", channel="wechat", outcome="handled") == 1
    assert moved("zhibu_callbacks_total", channel="wechat", outcome="duplicate") == 1
    assert moved("zhibu_callbacks_total", channel="wechat", outcome="rejected") == 1
    assert moved("zhibu_handler_seconds_count", channel="wechat") == 1
    assert moved("zhibu_deliveries_total", channel="wechat", kind="reminder", outcome="retried") == 1
    assert moved("zhibu_deliveries_total", channel="wechat", kind="reminder", outcome="sent") == 1
    assert moved("zhibu_deliveries_total", channel="robot", kind="reminder", outcome="failed") == 1
    assert moved("zhibu_token_refreshes_total", channel="wechat", outcome="ok") == 1
    assert (
        value(after, "zhibu_outbox_due") == 0
    )  # the retried one waits for its backoff, "later" for tomorrow
    assert value(after, "zhibu_scheduler_leader") == 0
    assert "zhibu_job_runs_total" in response.text and "zhibu_process_cpu_seconds_total" in response.text


async def test_the_outbox_gauges_are_read_from_the_database_when_scraped(
    client: httpx.AsyncClient, engine: Engine, clock: FakeClock
) -> None:
    with session_scope(engine) as session:
        for n in range(3):
            enqueue(
                session,
                target=Target("wecom", "default", f"u{n}"),
                reply=Reply("提醒"),
                dedupe_key=f"k{n}",
                not_before=clock.now() - timedelta(seconds=30 * n),
            )
    found = samples((await client.get("/metrics")).text)
    assert value(found, "zhibu_outbox_due") == 3 and value(found, "zhibu_outbox_oldest_due_seconds") == 60


async def test_the_leader_counts_its_job_runs(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime()
    [scheduler] = [service for service in runtime.services if isinstance(service, SchedulerService)]
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://zhibu.test") as http:
        before = samples((await http.get("/metrics")).text)
        scheduler.election.step()  # this process leads: the scheduler starts with the job context
        try:
            birthdays.job()  # what APScheduler calls when the job fires
            after = samples((await http.get("/metrics")).text)
        finally:
            scheduler.election.stop()
    runs = value(after, "zhibu_job_runs_total", job="birthdays", outcome="ok")
    assert runs - value(before, "zhibu_job_runs_total", job="birthdays", outcome="ok") == 1
    timed = value(after, "zhibu_job_seconds_count", job="birthdays")
    assert timed - value(before, "zhibu_job_seconds_count", job="birthdays") == 1
    assert value(before, "zhibu_scheduler_leader") == 0 and value(after, "zhibu_scheduler_leader") == 1


async def test_a_refused_telegram_update_counts_as_rejected(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(telegram={"default": {"bot_token": TOKEN, "webhook_secret": SECRET}})
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://zhibu.test") as http:
        before = samples((await http.get("/metrics")).text)
        guessed = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
        assert (
            await http.post("/telegram/default", json=update(1, "/help"), headers=guessed)
        ).status_code == 403
        after = samples((await http.get("/metrics")).text)
    await runtime.stop()  # closes the channel's connection pool
    rejected = {"channel": "telegram", "outcome": "rejected"}
    assert (
        value(after, "zhibu_callbacks_total", **rejected) - value(before, "zhibu_callbacks_total", **rejected)
        == 1
    )
