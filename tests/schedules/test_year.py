"""A simulated year of the demo district: every job at every fire time of its trigger, counted per kind.

Fire times come from the real triggers (``trigger.get_next_fire_time``); the clock
is set to each and the job's ``run(now)`` is called. No scheduler threads, no sleeping.

SQLite only: some 5,500 job runs per year are job logic, not database behaviour, and on
PostgreSQL they took two of the suite's ten minutes. The same queries run on PostgreSQL in
the other schedule tests, and restarts and takeovers there in tests/e2e with real processes.
"""

from __future__ import annotations

import heapq
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from bot.core.clock import SHANGHAI
from schedules.jobs import JobSpec, job_table
from schedules.settings import ScheduleSettings
from storage.db import make_engine, session_scope
from storage.guides import GuideDraft, ItemDraft, guides_for_month, store_guide
from storage.models import Delivery, MeetingKind
from storage.plans import add_plan
from tests.fakes.clock import FakeClock
from tests.schedules import world as demo

START = datetime(2026, 1, 1, 0, 0, tzinfo=SHANGHAI)
END = datetime(2027, 1, 1, 0, 0, tzinfo=SHANGHAI)
# two-hourly frequent jobs keep the year fast; the demo meetings (09:00, 14:30) still meet every offset
SETTINGS = ScheduleSettings(reminder_every_minutes=120, guide_every_minutes=120, wishes_every_minutes=120)
GUIDE = GuideDraft(
    "三月组织生活清单", "三定四有", (ItemDraft("学习两会精神", "集中学习", "主题党日", "3月31日前"),)
)

EXPECTED = {
    # greetings: 王书记 李委员 张党员 钱书记 (group + private) = 8; 赵党员 (29 Feb → 28 Feb, group only) 1;
    # 吴预备's first anniversary (group only) 1; 孙预备 joined this year, 周转出 transferred: none
    "birthday": 10,
    # branch A: Feb Mar Jul Dec × 2 secretaries; branch B: Jun × 1
    "birthday_digest": 9,
    "glory50": 1,  # 钱书记: 转正 1976-06-20, 党龄 50 by 2026-07-01
    # 支委会 on the 10th: 12 × 2 offsets × 2 committee members; 主题党日 2nd Friday: 12 × 2 × chat-a
    "meeting_reminder": 72,
    # A: 党小组会 12×2, quarterly 2 kinds×4×2, annual 2×2, 吴预备 due 1×2 + overdue Mar–Dec 10×2;
    # B: 支委会 12, quarterly 2×4, annual 2, 孙预备 due 1
    # and in January the 2025 组织生活会 / 民主评议 overdue: A 2 kinds × 2, B 2 × 1
    "nudge": 24 + 16 + 4 + 2 + 20 + 12 + 8 + 2 + 1 + 6,
    "probation_member": 1,  # 孙预备 (bound) hears privately that the 转正 application is due
    "guide": 4,  # March (published ahead) and June (published mid-month) × 2 branches
}


def _fire_times(spec: JobSpec, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    times, prev, moment = [], None, spec.trigger.get_next_fire_time(None, start)
    while moment is not None and moment < end:
        times.append((moment, spec.id))
        prev, moment = moment, spec.trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    assert prev is None or prev < end
    return times


def _setup(engine: Engine) -> demo.World:
    with session_scope(engine) as session:
        w = demo.build(session)
        add_plan(session, org_id=w.branch_a.id or 0, kind=MeetingKind.COMMITTEE, day="10", at="09:00")
        add_plan(
            session,
            org_id=w.branch_a.id or 0,
            kind=MeetingKind.THEME_DAY,
            day="2nd fri",
            at="14:30",
            place="党群服务中心",
            topic="主题党日活动",
        )
        store_guide(session, org_id=w.district.id or 0, month="2026-03", draft=GUIDE, now=START)
        store_guide(session, org_id=w.branch_a.id or 0, month="2026-03", draft=GUIDE, now=START)
        return w


def simulate(engine: Engine, start: datetime, end: datetime, world: demo.World, clock: FakeClock) -> None:
    specs = {s.id: s for s in job_table(SETTINGS)}
    schedule = list(heapq.merge(*(_fire_times(s, start, end) for s in specs.values())))
    june_guide = datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)
    for moment, job_id in schedule:
        clock.set(moment)
        if june_guide <= moment:
            with session_scope(engine) as session:
                if not guides_for_month(session, "2026-06"):  # a secretary publishes mid-month
                    store_guide(
                        session, org_id=world.district.id or 0, month="2026-06", draft=GUIDE, now=june_guide
                    )
        with session_scope(engine) as session:
            specs[job_id].run(moment, session=session, settings=SETTINGS)


def _counts(engine: Engine) -> Counter[str]:
    with Session(engine) as session:
        rows = session.exec(select(Delivery.kind, func.count()).group_by(Delivery.kind))
        return Counter({kind: n for kind, n in rows})


@pytest.fixture(autouse=True)
def _sqlite_only(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("a year of job runs is job logic; PostgreSQL runs the same queries in the other tests")


def test_a_year_fires_exactly_the_expected_sends(engine: Engine) -> None:
    world = _setup(engine)
    simulate(engine, START, END, world, FakeClock(START))
    assert _counts(engine) == Counter(EXPECTED)


def test_a_restart_with_two_days_down_misses_nothing_and_repeats_nothing(db_url: str) -> None:
    first = make_engine(db_url)
    world = _setup(first)
    clock = FakeClock(START)
    down, up = datetime(2026, 6, 19, 10, 0, tzinfo=SHANGHAI), datetime(2026, 6, 21, 8, 0, tzinfo=SHANGHAI)
    simulate(first, START, down, world, clock)
    first.dispose()
    second = make_engine(db_url)  # a new process on the same database
    clock.set(up)
    for spec in job_table(SETTINGS):  # what APScheduler does after a restart: one coalesced run per job
        with session_scope(second) as session:
            spec.run(up, session=session, settings=SETTINGS)
    simulate(second, up, END, world, clock)
    # 钱书记's birthday fell on 20 June, while down: greeted once, after the restart
    assert _counts(second) == Counter(EXPECTED)
    second.dispose()
