"""Fast-forward: the jobs of a stretch of time run in order, by their real functions, under a moving clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.core.clock import SHANGHAI
from schedules.fastforward import fast_forward, fire_times
from schedules.jobs import find
from schedules.settings import ScheduleSettings
from storage.db import session_scope
from storage.models import Delivery
from tests.fakes.clock import FakeClock
from tests.schedules import world as demo

SETTINGS = ScheduleSettings()


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI)


def test_fire_times_leave_out_the_start_and_keep_the_end() -> None:
    birthdays = find(SETTINGS, "birthdays")
    assert birthdays is not None
    assert fire_times(birthdays, _at(19, 9), _at(20, 9)) == [_at(20, 9)]
    assert fire_times(birthdays, _at(19, 9), _at(20, 8, 59)) == []


def test_a_day_runs_each_job_at_its_times_and_greets_on_the_day(engine: Engine) -> None:
    with session_scope(engine) as session:
        demo.build(session)  # 钱书记 joined on 20 June: branch B's chat and she herself are greeted
    clock = FakeClock(_at(19, 10))
    moments = [m for m, _ in fast_forward(engine, SETTINGS, clock, after=_at(19, 8), until=_at(20, 9, 1))]
    assert moments[0] == _at(
        19, 10
    )  # 08:05 … 10:00 were missed: one run of each job now, as APScheduler does
    assert moments[1:] == sorted(set(moments[1:])) and moments[1] == _at(19, 10, 5)
    assert moments[-1] == _at(20, 9) and clock.now() == _at(20, 9, 1)
    with Session(engine) as session:
        greetings = list(session.exec(select(Delivery).where(col(Delivery.kind) == "birthday")))
    assert {g.chat_id for g in greetings} == {"chat-b", "u-钱书记"}
    assert all("今天是" in g.text for g in greetings)  # run under a clock at 09:00 of the day, not the 19th


def test_fast_forward_queues_nothing_twice(engine: Engine) -> None:
    with session_scope(engine) as session:
        demo.build(session)
    clock = FakeClock(_at(19, 10))
    first = sum(n for _, n in fast_forward(engine, SETTINGS, clock, after=_at(19, 10), until=_at(20, 9)))
    again = sum(n for _, n in fast_forward(engine, SETTINGS, clock, after=_at(19, 10), until=_at(20, 9)))
    assert first > 0 and again == 0
