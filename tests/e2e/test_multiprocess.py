"""Three ``zhibu serve`` processes on one PostgreSQL: one scheduler leader, shared sending, kill -9.

Real processes, a real database server and a fake WeChat API on loopback that
records every send. Skipped without ZHIBU_TEST_PG_URL (CI provides it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, func, select

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply, Target
from bot.settings import Settings
from schedules.jobs import job_table
from storage.db import session_scope
from storage.meetings import create_meeting
from storage.models import (
    Delivery,
    DeliveryStatus,
    Identity,
    JobRun,
    MeetingKind,
    Member,
    Organization,
    OrgKind,
)
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
        return conn.execute(
            text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted"
            )
        ).scalar()


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
            holders = conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            ).scalar()
        assert holders == 1, "exactly one process holds the scheduler lock"

        with session_scope(pg_engine) as session:
            for i in range(BROADCAST):
                target = Target("wechat", "default", f"o-member-{i:04d}", False)
                enqueue(
                    session, target=target, reply=Reply(f"支部通知 #{i}"), dedupe_key=f"e2e:{i}", batch="e2e"
                )
        wait_for(lambda: len(api.sent("message/custom/send")) >= BROADCAST // 4, 60, "sending to start")

        leader = next(p for p in running if p.name == leader_name)
        leader.kill()
        wait_for(
            lambda: _leader(pg_engine) not in (None, leader_name),
            30,
            "another process to take over the scheduler",
        )
        wait_for(lambda: _unsent(pg_engine) == 0, 120, "every delivery sent")
        assert all(p.alive for p in running if p is not leader), [p.log() for p in running]

    sends = Counter(r.body["text"]["content"] for r in api.sent("message/custom/send") if r.body.get("_ok"))
    assert set(sends) == {f"支部通知 #{i}" for i in range(BROADCAST)}, "nothing lost"
    repeated = sum(n - 1 for n in sends.values())
    assert repeated <= SENDER_BATCH, f"only what the killed process had in flight may repeat ({repeated})"


# Schedules in wall-clock time: the reminder job looks every 5 s, reminders fall two minutes and one
# minute before a meeting, the greeting time is set to the second, and quiet hours are off whatever
# the hour the test runs at.
REMINDER_EVERY_SECONDS = 5
OFFSETS = '["2m", "1m"]'
GREETING_AFTER = timedelta(seconds=40)  # after start-up: the first leader is long dead by then
SECOND_REMINDER_AFTER = timedelta(seconds=30)  # after the meeting is planned: likewise
MEMBERS = ("王红", "李明", "张华")  # 王红 celebrates her political birthday during the test


def _schedules(greeting_at: datetime) -> dict[str, str]:
    return {
        "ZHIBU_SCHEDULES__REMINDER_EVERY_SECONDS": str(REMINDER_EVERY_SECONDS),
        "ZHIBU_SCHEDULES__REMINDER_OFFSETS": OFFSETS,
        "ZHIBU_SCHEDULES__BIRTHDAYS_AT": f"{greeting_at:%H:%M:%S}",
        "ZHIBU_SCHEDULES__QUIET_START": "00:00",
        "ZHIBU_SCHEDULES__QUIET_END": "00:00",
    }


def _branch(engine: Engine, birthday: date) -> int:
    """A branch with no group chat, so its reminders go to each bound member privately (o-0, o-1, o-2)."""
    with session_scope(engine) as session:
        branch = Organization(name="第一党支部", kind=OrgKind.BRANCH)
        session.add(branch)
        session.flush()
        assert branch.id is not None
        for i, name in enumerate(MEMBERS):
            joined = birthday.replace(year=2004) + timedelta(days=100 * i)  # 2004: any 29 February fits
            member = Member(name=name, org_id=branch.id, joined_on=joined)
            member.sync_join_md()
            session.add(member)
            session.flush()
            assert member.id is not None
            session.add(
                Identity(channel="wechat", account="default", external_id=f"o-{i}", member_id=member.id)
            )
        return branch.id


def _plan(engine: Engine, branch_id: int, topic: str, starts_in: timedelta) -> None:
    with session_scope(engine) as session:
        starts_at = datetime.now(SHANGHAI) + starts_in
        create_meeting(
            session,
            org_id=branch_id,
            kind=MeetingKind.THEME_DAY,
            starts_at=starts_at,
            place="党群服务中心",
            topic=topic,
        )


def _received(api: FakeWeChatApi) -> Counter[tuple[str, str]]:
    """(openid, what): a reminder counts under its meeting's topic, a greeting as 政治生日."""
    seen: Counter[tuple[str, str]] = Counter()
    for r in api.sent("message/custom/send"):
        content: str = r.body["text"]["content"]
        topic = content.partition("议题：")[2].partition("\n")[0]
        seen[(r.body["touser"], topic or ("政治生日" if "政治生日" in content else content))] += 1
    return seen


def _queued(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(session.exec(select(Delivery.dedupe_key)))


def test_reminders_and_greetings_across_a_leader_kill_arrive_exactly_once(
    pg_engine: Engine, db_url: str, wechat_api: tuple[FakeWeChatApi, str], tmp_path: Path
) -> None:
    api, base = wechat_api
    greeting_at = datetime.now(SHANGHAI) + GREETING_AFTER
    branch_id = _branch(pg_engine, greeting_at.date())
    env = {**_config(tmp_path, db_url, base), **_schedules(greeting_at)}
    procs = [ServeProcess(f"serve{i}", {**env, "PGAPPNAME": f"serve{i}"}, tmp_path) for i in range(3)]
    everyone = [f"o-{i}" for i in range(len(MEMBERS))]
    with serving(procs) as running:
        wait_for(lambda: _leader(pg_engine) is not None, 30, "a scheduler leader")
        leader_name = _leader(pg_engine)
        # 主题党日 A: its two-minute reminder is due now, its one-minute reminder only after the kill
        _plan(pg_engine, branch_id, "学习贯彻全会精神", timedelta(minutes=1) + SECOND_REMINDER_AFTER)
        first = Counter({(who, "学习贯彻全会精神"): 1 for who in everyone})
        wait_for(lambda: first <= _received(api) and _unsent(pg_engine) == 0, 30, "the first reminder, sent")
        assert _received(api) == first, "before the kill: the two-minute reminder only"

        leader = next(p for p in running if p.name == leader_name)
        leader.kill()  # nothing in flight: every queued message was sent
        at_kill = _queued(pg_engine)
        assert len(at_kill) == 3 and all(":2m:" in key for key in at_kill), at_kill
        # 主题党日 B, planned at the kill and less than a minute ahead: one reminder, not two
        _plan(pg_engine, branch_id, "重温入党誓词", timedelta(seconds=50))
        wait_for(lambda: _leader(pg_engine) not in (None, leader_name), 30, "another process to take over")

        expected = Counter({(who, "学习贯彻全会精神"): 2 for who in everyone})
        expected.update({(who, "重温入党誓词"): 1 for who in everyone})
        expected[("o-0", "政治生日")] = 1
        wait_for(lambda: expected <= _received(api) and _unsent(pg_engine) == 0, 60, f"all of {expected}")
        assert all(p.alive for p in running if p is not leader), [p.log() for p in running]

    received = _received(api)
    assert received == expected, f"extra: {received - expected}; missing: {expected - received}"
    after_kill = sorted(_queued(pg_engine) - at_kill)  # queued when only the survivors were alive
    assert len(after_kill) == 7, after_kill
    assert sum(":1m:" in key for key in after_kill) == 6 and sum("birthday" in key for key in after_kill) == 1


GREETING_SOON = timedelta(seconds=25)  # after start-up, so the first leader is the one that takes the run


def _birthdays_next_run(engine: Engine) -> datetime:
    with engine.connect() as conn:
        query = text("SELECT next_run_time FROM apscheduler_jobs WHERE id = 'birthdays'")
        stamp = conn.execute(query).scalar()
    return datetime.fromtimestamp(stamp, SHANGHAI)


def _waiting_on_a_lock(engine: Engine, name: str) -> bool:
    with engine.connect() as conn:
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
            "AND wait_event_type = 'Lock'"
        )
        return bool(conn.execute(query, {"name": name}).scalar())


def test_a_greeting_run_cut_short_by_a_leader_kill_comes_from_the_next_leader_the_same_day(
    pg_engine: Engine, db_url: str, wechat_api: tuple[FakeWeChatApi, str], tmp_path: Path
) -> None:
    api, base = wechat_api
    greeting_at = datetime.now(SHANGHAI) + GREETING_SOON
    _branch(pg_engine, greeting_at.date())
    env = {**_config(tmp_path, db_url, base), **_schedules(greeting_at)}
    procs = [ServeProcess(f"serve{i}", {**env, "PGAPPNAME": f"serve{i}"}, tmp_path) for i in range(2)]
    with serving(procs) as running:
        wait_for(lambda: _leader(pg_engine) is not None, 30, "a scheduler leader")
        leader_name = _leader(pg_engine)
        with Session(pg_engine) as session:  # the leader has recorded where each daily job starts from
            daily = sum(1 for spec in job_table(Settings().schedule_settings()) if spec.daily_at is not None)
            wait_for(lambda: len(session.exec(select(JobRun)).all()) == daily, 30, "the leader's start-up")
        assert datetime.now(SHANGHAI) < greeting_at, "start-up took longer than GREETING_SOON"
        with pg_engine.connect() as blocker:  # the greeting run stops at its first read of the days covered
            blocker.execute(text("LOCK TABLE jobrun IN ACCESS EXCLUSIVE MODE"))
            wait_for(lambda: _waiting_on_a_lock(pg_engine, leader_name), 60, "the leader's greeting run")
            wait_for(lambda: _birthdays_next_run(pg_engine) > greeting_at, 10, "the next run moved on a day")
            leader = next(p for p in running if p.name == leader_name)
            leader.kill()  # mid-run: nothing of the run committed
            blocker.rollback()
        assert api.sent("message/custom/send") == []
        wait_for(lambda: _leader(pg_engine) not in (None, leader_name), 30, "another process to take over")
        wait_for(lambda: _received(api) and _unsent(pg_engine) == 0, 30, "the greeting, from the next leader")
        assert all(p.alive for p in running if p is not leader), [p.log() for p in running]

    assert _received(api) == Counter({("o-0", "政治生日"): 1})
    [greeting] = api.sent("message/custom/send")
    assert "今天是您" in greeting.body["text"]["content"], "on the day, not a day late"
