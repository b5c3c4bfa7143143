"""The outbox worker against a fake WeCom robot webhook on loopback, with time moved by hand."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.channels.robot import RobotAccount, RobotChannel
from bot.core.messages import Reply, Target
from bot.sender import RetryPolicy, Sender
from storage.db import session_scope
from storage.models import Delivery
from storage.outbox import claim_due, enqueue
from tests.bot.outbox_world import drain, sleeper, statuses
from tests.bot.outbox_world import queue as queue_to
from tests.fakes.clock import FakeClock
from tests.fakes.robot_api import RobotApi
from tests.fakes.serve import serve

KEY = "robot-key-0001"
TARGET = Target(channel="robot", account="branch1", chat_id="branch1", is_group=True)


@pytest.fixture
def api(clock: FakeClock) -> RobotApi:
    return RobotApi(keys={KEY}, now=lambda: clock.now().timestamp())


@pytest.fixture
def robot(api: RobotApi) -> Iterator[RobotChannel]:
    with serve(api.app()) as base_url:
        yield RobotChannel("branch1", RobotAccount(webhook_key=KEY, base_url=base_url))


def make_sender(engine: Engine, clock: FakeClock, robot: RobotChannel, **kwargs: object) -> Sender:
    return Sender(
        engine,
        {("robot", "branch1"): robot},
        clock,
        sleep=sleeper(clock),
        rng=random.Random(7),
        **kwargs,  # type: ignore[arg-type]
    )


def queue(engine: Engine, clock: FakeClock, texts: list[str]) -> None:
    queue_to(engine, clock, TARGET, texts)


def run(robot: RobotChannel, work: object) -> None:
    async def main() -> None:
        try:
            await work  # type: ignore[misc]
        finally:
            await robot.aclose()

    asyncio.run(main())


def test_a_broadcast_larger_than_the_robot_limit_arrives_once_in_order(
    engine: Engine, clock: FakeClock, api: RobotApi, robot: RobotChannel
) -> None:
    texts = [f"第{n}条通知" for n in range(45)]
    queue(engine, clock, texts)
    run(robot, drain([make_sender(engine, clock, robot)], engine, clock))
    assert api.contents() == texts
    assert statuses(engine) == {"sent": 45}
    assert all(r["key"] == KEY for r in api.requests)


def test_rate_limited_and_failing_answers_are_retried_and_delivered_once(
    engine: Engine, clock: FakeClock, api: RobotApi, robot: RobotChannel
) -> None:
    api.script = [45009, 502, -1]
    queue(engine, clock, ["明天下午两点半召开支部党员大会"])
    start = clock.now()
    run(robot, drain([make_sender(engine, clock, robot)], engine, clock))
    assert api.contents() == ["明天下午两点半召开支部党员大会"]
    assert len(api.requests) == 4
    assert clock.now() - start >= timedelta(seconds=60)  # 45009 asks for the robot's minute to pass
    with Session(engine) as session:
        row = session.exec(select(Delivery)).one()
        assert row.status == "sent" and row.attempts == 4 and row.last_error == ""


def test_a_bad_webhook_key_fails_at_once_and_is_not_retried(
    engine: Engine, clock: FakeClock, api: RobotApi
) -> None:
    with serve(api.app()) as base_url:
        wrong = RobotChannel("branch1", RobotAccount(webhook_key="not-the-key", base_url=base_url))
        queue(engine, clock, ["通知"])
        run(wrong, drain([make_sender(engine, clock, wrong)], engine, clock))
    assert len(api.requests) == 1 and api.delivered == []
    with Session(engine) as session:
        row = session.exec(select(Delivery)).one()
        assert row.status == "failed" and "robot.branch1.webhook_key" in row.last_error
        assert "not-the-key" not in row.last_error


def test_retries_stop_after_max_attempts(
    engine: Engine, clock: FakeClock, api: RobotApi, robot: RobotChannel
) -> None:
    api.script = [-1] * 10
    queue(engine, clock, ["通知"])
    run(robot, drain([make_sender(engine, clock, robot, policy=RetryPolicy(max_attempts=3))], engine, clock))
    assert len(api.requests) == 3 and api.delivered == []
    assert statuses(engine) == {"failed": 1}


def test_two_workers_never_send_the_same_delivery(
    engine: Engine, clock: FakeClock, api: RobotApi, robot: RobotChannel
) -> None:
    texts = [f"提醒{n}" for n in range(30)]
    queue(engine, clock, texts)
    workers = [make_sender(engine, clock, robot, batch_size=3, worker=name) for name in ("a", "b")]
    run(robot, drain(workers, engine, clock))
    assert sorted(api.contents()) == sorted(texts)
    assert statuses(engine) == {"sent": 30}


class Crash(BaseException):
    """The process dies: nothing after it runs, no outcome is recorded."""


def test_a_sender_killed_mid_batch_loses_nothing_and_repeats_at_most_the_message_in_flight(
    engine: Engine, clock: FakeClock, api: RobotApi, robot: RobotChannel
) -> None:
    texts = [f"政治生日{n}" for n in range(10)]
    queue(engine, clock, texts)
    real_send, calls = robot.send, 0

    async def dies_on_the_fourth(target: Target, reply: Reply) -> str:
        nonlocal calls
        calls += 1
        result = await real_send(target, reply)  # the platform got it...
        if calls == 4:
            raise Crash  # ...but the process died before recording that
        return result

    doomed = make_sender(engine, clock, robot, batch_size=10, worker="doomed")
    doomed.channels = {("robot", "branch1"): _Wrapped(robot, dies_on_the_fourth)}
    with pytest.raises(Crash):
        run(robot, doomed.run_once())
    assert len(api.delivered) == 4

    successor = make_sender(engine, clock, robot, worker="successor")
    run(robot, drain([successor], engine, clock))
    contents = api.contents()
    assert sorted(set(contents)) == sorted(texts)
    assert [c for c in texts if contents.count(c) > 1] == [texts[3]]  # only the one in flight, once more
    assert statuses(engine) == {"sent": 10}


class _Wrapped:
    def __init__(self, channel: RobotChannel, send: object) -> None:
        self.name, self.limits, self.send = channel.name, channel.limits, send


def test_a_long_message_is_split_so_each_part_fits(
    engine: Engine, clock: FakeClock, api: RobotApi, robot: RobotChannel
) -> None:
    text = "\n\n".join(f"第{n}段：" + "组织生活会要认真开展批评和自我批评。" * 12 for n in range(6))
    queue(engine, clock, [text])
    run(robot, drain([make_sender(engine, clock, robot)], engine, clock))
    parts = api.contents()
    assert "".join(parts) == text and len(parts) >= 2
    assert all(len(part.encode("utf-8")) <= 2048 for part in parts)
    assert all(part.endswith("\n\n") for part in parts[:-1])  # cut between paragraphs


def test_a_retry_after_two_parts_resumes_with_the_third(
    engine: Engine, clock: FakeClock, api: RobotApi, robot: RobotChannel
) -> None:
    text = "\n\n".join("党" * 600 for _ in range(4))  # four parts of about 1800 bytes
    queue(engine, clock, [text])
    api.script = [None, None, -1]  # two parts go through, then the platform is busy once
    run(robot, drain([make_sender(engine, clock, robot)], engine, clock))
    assert api.contents() == ["党" * 600 + "\n\n"] * 3 + ["党" * 600]
    assert len(api.requests) == 5


def test_claiming_leaves_no_row_to_a_second_claim(engine: Engine, clock: FakeClock) -> None:
    queue(engine, clock, ["a", "b"])
    with session_scope(engine) as session:
        assert len(claim_due(session, now=clock.now(), limit=5, worker="x")) == 2
        assert claim_due(session, now=clock.now(), limit=5, worker="y") == []


def test_a_bug_in_a_channel_is_logged_and_retried_without_stopping_the_others(
    engine: Engine, clock: FakeClock, api: RobotApi, robot: RobotChannel, caplog: pytest.LogCaptureFixture
) -> None:
    queue(engine, clock, ["第一条", "第二条"])
    real_send = robot.send

    async def breaks_on_the_first(target: Target, reply: Reply) -> str:
        if reply.text == "第一条":
            raise KeyError("bug")
        return await real_send(target, reply)

    sender = make_sender(engine, clock, robot, policy=RetryPolicy(max_attempts=2))
    sender.channels = {("robot", "branch1"): _Wrapped(robot, breaks_on_the_first)}
    run(robot, drain([sender], engine, clock))
    assert api.contents() == ["第二条"]
    with Session(engine) as session:
        broken = session.exec(select(Delivery).where(Delivery.text == "第一条")).one()
        assert broken.status == "failed" and broken.attempts == 2 and "KeyError" in broken.last_error
    logged = [r for r in caplog.records if r.levelname == "ERROR"]
    assert (
        logged
        and f"delivery {broken.id} " in logged[0].getMessage()
        and "chat=branch1" in logged[0].getMessage()
    )
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_a_queued_mention_reaches_the_group_once_on_the_first_part(
    engine: Engine, clock: FakeClock, api: RobotApi, robot: RobotChannel
) -> None:
    text = "\n\n".join(
        "请全体党员准时参加支部党员大会。" * 40 for _ in range(3)
    )  # more than one robot message
    with session_scope(engine) as session:
        enqueue(
            session,
            target=TARGET,
            reply=Reply(text, mentions=("@all",)),
            dedupe_key="notice",
            not_before=clock.now(),
        )
    run(robot, drain([make_sender(engine, clock, robot)], engine, clock))
    mentioned = [body["text"].get("mentioned_list") for body in api.delivered]
    assert len(mentioned) >= 2 and mentioned[0] == ["@all"] and not any(mentioned[1:])
    assert "".join(api.contents()) == text
