"""The frequent reminder job and the plans job, driven by a fake clock through real fire times."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select, update

from bot.core.clock import SHANGHAI
from handlers.reminders import move_and_notify
from schedules import plans, reminders
from storage.meetings import create_meeting
from storage.models import Delivery, DeliveryStatus, Meeting, MeetingKind
from storage.plans import add_plan
from tests.fakes.clock import FakeClock
from tests.schedules import world as demo


def _tick(session: Session, clock: FakeClock, until: datetime, step: timedelta = timedelta(minutes=5)) -> int:
    queued = 0
    while clock.now() < until:
        queued += reminders.run(clock.advance(step), session=session)
    return queued


def _sent(session: Session) -> list[Delivery]:
    rows = session.exec(select(Delivery).order_by(Delivery.id)).all()
    session.execute(
        update(Delivery).where(Delivery.status == DeliveryStatus.PENDING).values(status=DeliveryStatus.SENT)
    )
    return list(rows)


def test_a_meeting_moved_after_its_first_reminder(engine: Engine) -> None:
    clock = FakeClock(datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI))
    with Session(engine) as session:
        w = demo.build(session)
        meeting = create_meeting(
            session,
            org_id=w.branch_a.id or 0,
            kind=MeetingKind.THEME_DAY,
            starts_at=datetime(2026, 12, 4, 14, 30, tzinfo=SHANGHAI),
            place="党群服务中心",
        )
        assert meeting.id is not None
        assert _tick(session, clock, datetime(2026, 12, 3, 8, 55, tzinfo=SHANGHAI)) == 0
        assert (
            _tick(session, clock, datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI)) == 1
        )  # the day before, 09:00
        assert _sent(session)[0].chat_id == "chat-a"
        new_start = datetime(2026, 12, 7, 15, 0, tzinfo=SHANGHAI)
        _, notices = move_and_notify(session, meeting_id=meeting.id, starts_at=new_start, now=clock.now())
        assert notices == 1
        # nothing more for the old time: 4 December passes quietly
        assert _tick(session, clock, datetime(2026, 12, 5, 0, 0, tzinfo=SHANGHAI)) == 0
        assert (
            _tick(session, clock, datetime(2026, 12, 7, 15, 0, tzinfo=SHANGHAI)) == 2
        )  # 6th 09:00, 7th 14:00
        texts = [d.text for d in _sent(session)]
        assert "改至2026年12月7日（周一）15:00" in texts[1]
        assert "明天15:00召开主题党日" in texts[2] and "今天15:00召开主题党日" in texts[3]


def test_a_meeting_created_late_gets_one_reminder_not_two(engine: Engine) -> None:
    now = datetime(2026, 12, 4, 14, 0, tzinfo=SHANGHAI)
    with Session(engine) as session:
        w = demo.build(session)
        create_meeting(
            session,
            org_id=w.branch_a.id or 0,
            kind=MeetingKind.LECTURE,
            starts_at=now + timedelta(minutes=40),
        )
        assert reminders.run(now, session=session) == 1
        assert reminders.run(now + timedelta(minutes=5), session=session) == 0
        assert "1h" in session.exec(select(Delivery.dedupe_key)).one()


def test_plans_create_meetings_ahead_once(engine: Engine) -> None:
    now = datetime(2026, 12, 1, 6, 0, tzinfo=SHANGHAI)
    with Session(engine) as session:
        w = demo.build(session)
        add_plan(
            session,
            org_id=w.branch_a.id or 0,
            kind=MeetingKind.THEME_DAY,
            day="1st fri",
            at="14:30",
            lead_days=40,
        )
        assert plans.run(now, session=session) == 2  # 4 December and 1 January 2027
        assert plans.run(now + timedelta(days=1), session=session) == 0
        starts = [m.starts_at for m in session.exec(select(Meeting).order_by(Meeting.starts_at))]
        assert starts == [
            datetime(2026, 12, 4, 14, 30, tzinfo=SHANGHAI),
            datetime(2027, 1, 1, 14, 30, tzinfo=SHANGHAI),
        ]


def test_quiet_hours_never_hold_a_reminder_past_the_start(engine: Engine) -> None:
    """A 07:25 党课: its one-hour reminder goes out the evening before quiet hours, not at 08:00."""
    start = datetime(2026, 12, 4, 7, 25, tzinfo=SHANGHAI)
    clock = FakeClock(datetime(2026, 12, 3, 8, 0, tzinfo=SHANGHAI))
    with Session(engine) as session:
        w = demo.build(session)
        create_meeting(session, org_id=w.branch_a.id or 0, kind=MeetingKind.LECTURE, starts_at=start)
        queued_at = []
        while clock.now() < start:
            now = clock.advance(timedelta(minutes=5))
            queued_at += [now] * reminders.run(now, session=session)
        evening = datetime(2026, 12, 3, 21, 55, tzinfo=SHANGHAI)  # the last run before quiet hours
        assert queued_at == [datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI), evening]
        rows = _sent(session)
        assert ["1d@0900" in d.dedupe_key for d in rows] == [True, False]
        assert all("明天07:25召开党课" in d.text for d in rows)
        assert abs(rows[1].next_try_at - rows[1].created_at) < timedelta(seconds=5)  # at once, not at 08:00


def test_a_plan_added_on_its_own_day_makes_todays_meeting_and_knows_the_next(engine: Engine) -> None:
    friday = datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI)  # the first Friday of December
    with Session(engine) as session:
        w = demo.build(session)
        plan = add_plan(session, org_id=w.branch_a.id or 0, kind=MeetingKind.THEME_DAY, day="1st fri")
        assert plans.describe(plan) == "每月第一个周五 14:30"
        (today,) = plans.create_due(session, plan, friday)
        assert today.starts_at == datetime(2026, 12, 4, 14, 30, tzinfo=SHANGHAI)
        assert plans.create_due(session, plan, friday) == []
        next_ones = [m.date() for m in plans.later(plan, friday)]
        assert next_ones == [date(2027, 1, 1), date(2027, 2, 5), date(2027, 3, 5)]
