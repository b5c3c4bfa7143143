"""Leap-day political birthdays, holidays and 调休 working days, and the 50-year notice."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.core.clock import SHANGHAI
from bot.settings import Settings
from schedules import birthdays, compliance
from schedules.jobs import find
from schedules.workdays import is_working_day
from storage.jobruns import days_to_cover
from storage.models import Delivery, JobRun
from tests.schedules import world as demo


def _texts(session: Session, kind: str) -> list[str]:
    return list(session.exec(select(Delivery.text).where(Delivery.kind == kind).order_by(Delivery.id)))


def _run_birthdays(session: Session, day: date) -> int:
    session.merge(JobRun(job_id="birthdays", last_day=date.fromordinal(day.toordinal() - 1)))
    return birthdays.run(datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI), session=session)


def test_a_29_february_member_is_greeted_on_28_february_in_common_years(engine: Engine) -> None:
    with Session(engine) as session:
        demo.build(session)
        _run_birthdays(session, date(2027, 2, 28))
        assert any("赵党员同志，入党15周年" in t for t in _texts(session, "birthday"))


def test_a_29_february_member_is_greeted_on_29_february_in_leap_years(engine: Engine) -> None:
    with Session(engine) as session:
        demo.build(session)
        _run_birthdays(session, date(2028, 2, 28))
        assert not any("赵党员" in t for t in _texts(session, "birthday"))
        _run_birthdays(session, date(2028, 2, 29))
        assert any("赵党员同志，入党16周年" in t for t in _texts(session, "birthday"))


def test_milestones_are_highlighted_and_the_member_hears_privately(engine: Engine) -> None:
    with Session(engine) as session:
        demo.build(session)
        _run_birthdays(session, date(2026, 12, 1))  # 张党员 joined 2016-12-01: 10 years
        group, private = _texts(session, "birthday")
        assert "今天是张党员同志的政治生日" in group and "逢十" in group
        assert private.startswith("张党员同志：今天是您入党10周年的政治生日")


def test_a_greeting_time_set_to_the_second_greets_on_the_day_not_a_day_late(engine: Engine) -> None:
    settings = Settings(schedules={"birthdays_at": "09:00:30"}).schedules.to_settings()
    spec = find(settings, "birthdays")
    assert spec is not None
    fires = spec.trigger.get_next_fire_time(None, datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI))
    assert fires == datetime(2026, 12, 1, 9, 0, 30, tzinfo=SHANGHAI)  # not 09:00:00, before the time set
    with Session(engine) as session:
        demo.build(session)  # 张党员 joined 2016-12-01
        session.add(JobRun(job_id="birthdays", last_day=date(2026, 11, 30)))
        birthdays.run(fires, session=session, settings=settings)
        assert any("今天是张党员同志的政治生日" in t for t in _texts(session, "birthday"))


def test_transferred_out_members_are_skipped(engine: Engine) -> None:
    with Session(engine) as session:
        demo.build(session)  # 周转出 joined 2000-12-01, like 张党员's date
        _run_birthdays(session, date(2026, 12, 1))
        assert not any(
            "周转出" in t for t in _texts(session, "birthday") + _texts(session, "birthday_digest")
        )


def test_a_holiday_is_not_a_working_day_and_a_tiaoxiu_saturday_is() -> None:
    assert not is_working_day(date(2026, 10, 1))  # 国庆
    assert is_working_day(date(2026, 10, 10))  # Saturday made a working day (调休)
    assert is_working_day(date(2026, 10, 9))
    assert is_working_day(date(2031, 3, 3)) and not is_working_day(date(2031, 3, 1))  # unknown year: weekdays


def test_nudges_wait_for_a_working_day(engine: Engine) -> None:
    """The 20th of February 2026 is a Friday inside the 春节 holiday: the 支委会 nudge waits for the 24th."""
    with Session(engine) as session:
        demo.build(session)
        session.add(JobRun(job_id="compliance", last_day=date(2026, 2, 19)))
        assert compliance.run(datetime(2026, 2, 20, 10, 0, tzinfo=SHANGHAI), session=session) == 0
        assert compliance.run(datetime(2026, 2, 23, 10, 0, tzinfo=SHANGHAI), session=session) == 0
        assert compliance.run(datetime(2026, 2, 24, 10, 0, tzinfo=SHANGHAI), session=session) > 0
        assert any("第二党支部本月还没有召开支委会" in t for t in _texts(session, "nudge"))


def test_missed_days_are_covered_within_the_catch_up_window_and_a_first_run_covers_today(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        today = date(2026, 11, 23)
        assert days_to_cover(session, job_id="x", today=today, catch_up_days=3) == [today]
        session.add(JobRun(job_id="x", last_day=date(2026, 11, 17)))
        covered = days_to_cover(session, job_id="x", today=today, catch_up_days=3)
        assert covered == [date(2026, 11, d) for d in (20, 21, 22, 23)]
