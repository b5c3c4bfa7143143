"""Meeting reminders reach the right people, and a move or cancellation tells those already reminded."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select, update

from bot.core.clock import SHANGHAI
from handlers.quiet import QuietHours
from handlers.reminders import audience_of, cancel_and_notify, move_and_notify, queue_reminder
from storage.meetings import MeetingClosed, create_meeting
from storage.models import Delivery, DeliveryStatus, Meeting, MeetingKind
from tests.schedules import world as demo

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI)
QUIET = QuietHours()


def _chats(session: Session, kind: str | None = None) -> list[tuple[str, str]]:
    rows = session.exec(select(Delivery).order_by(Delivery.id))
    return [(d.chat_id, d.status) for d in rows if kind is None or d.kind == kind]


def _mark_sent(session: Session) -> None:
    session.execute(update(Delivery).values(status=DeliveryStatus.SENT))


def _reminded_theme_day(session: Session) -> Meeting:
    """A 主题党日 on 4 December 14:30 whose day-before reminder has gone out."""
    w = demo.build(session)
    meeting = create_meeting(
        session,
        org_id=w.branch_a.id,
        kind=MeetingKind.THEME_DAY,
        starts_at=datetime(2026, 12, 4, 14, 30, tzinfo=SHANGHAI),
    )
    queue_reminder(session, meeting=meeting, offset="1d@0900", now=NOW, quiet=QUIET)
    _mark_sent(session)
    return meeting


def test_each_kind_of_meeting_reaches_its_own_audience(engine: Engine) -> None:
    with Session(engine) as session:
        w = demo.build(session)
        start = datetime(2026, 12, 4, 14, 30, tzinfo=SHANGHAI)
        committee = create_meeting(session, org_id=w.branch_a.id, kind=MeetingKind.COMMITTEE, starts_at=start)
        group = create_meeting(session, org_id=w.group_a1.id, kind=MeetingKind.GROUP, starts_at=start)
        theme = create_meeting(session, org_id=w.branch_a.id, kind=MeetingKind.THEME_DAY, starts_at=start)
        assert {t.chat_id for t in audience_of(session, committee)} == {"u-王书记", "u-李委员"}
        assert {t.chat_id for t in audience_of(session, group)} == {"u-李委员", "u-张党员"}
        assert [t.chat_id for t in audience_of(session, theme)] == ["chat-a"]


def test_branch_without_a_bound_chat_hears_privately_and_transferred_members_never(engine: Engine) -> None:
    with Session(engine) as session:
        w = demo.build(session)
        session.execute(
            update(demo.ChatBinding).where(demo.ChatBinding.chat_id == "chat-b").values(org_id=w.district.id)
        )
        meeting = create_meeting(
            session,
            org_id=w.branch_b.id,
            kind=MeetingKind.LECTURE,
            starts_at=datetime(2026, 12, 4, 14, 30, tzinfo=SHANGHAI),
        )
        assert {t.chat_id for t in audience_of(session, meeting)} == {"u-钱书记", "u-孙预备"}


def test_reminder_text_has_time_place_topic_and_is_queued_once(engine: Engine) -> None:
    with Session(engine) as session:
        w = demo.build(session)
        meeting = create_meeting(
            session,
            org_id=w.branch_a.id,
            kind=MeetingKind.THEME_DAY,
            starts_at=datetime(2026, 12, 4, 14, 30, tzinfo=SHANGHAI),
            place="社区党群服务中心",
            topic="学习全会精神",
        )
        assert queue_reminder(session, meeting=meeting, offset="1d@0900", now=NOW, quiet=QUIET) == 1
        assert queue_reminder(session, meeting=meeting, offset="1d@0900", now=NOW, quiet=QUIET) == 0
        text = session.exec(select(Delivery.text)).one()
        assert "明天14:30召开主题党日" in text
        assert "2026年12月4日（周五）14:30" in text and "社区党群服务中心" in text and "学习全会精神" in text


def test_moving_after_the_first_reminder_withdraws_pending_and_tells_the_reminded(engine: Engine) -> None:
    with Session(engine) as session:
        w = demo.build(session)
        meeting = create_meeting(
            session,
            org_id=w.branch_a.id,
            kind=MeetingKind.COMMITTEE,
            starts_at=datetime(2026, 12, 4, 14, 30, tzinfo=SHANGHAI),
        )
        assert meeting.id is not None
        queue_reminder(session, meeting=meeting, offset="1d@0900", now=NOW, quiet=QUIET)
        _mark_sent(session)  # the day-before reminder went out
        queue_reminder(session, meeting=meeting, offset="1h", now=NOW, quiet=QUIET)  # still waiting
        new_start = datetime(2026, 12, 8, 15, 0, tzinfo=SHANGHAI)
        change, notices = move_and_notify(
            session, meeting_id=meeting.id, starts_at=new_start, now=NOW, quiet=QUIET
        )
        assert change.withdrawn == 2 and notices == 2
        notes = session.exec(select(Delivery).where(Delivery.kind == "meeting_change")).all()
        assert {d.chat_id for d in notes} == {"u-王书记", "u-李委员"}
        assert "改至2026年12月8日（周二）15:00" in notes[0].text
        statuses = [s for _, s in _chats(session, "meeting_reminder")]
        assert statuses.count(DeliveryStatus.CANCELLED) == 2 and statuses.count(DeliveryStatus.SENT) == 2
        # the new time gets its own reminders: the key carries the start time
        assert queue_reminder(session, meeting=meeting, offset="1d@0900", now=NOW, quiet=QUIET) == 2


def test_cancelling_tells_those_reminded_and_cannot_happen_twice(engine: Engine) -> None:
    with Session(engine) as session:
        meeting = _reminded_theme_day(session)
        assert meeting.id is not None
        _, notices = cancel_and_notify(session, meeting_id=meeting.id, now=NOW, quiet=QUIET)
        assert notices == 1
        assert "取消" in session.exec(select(Delivery.text).where(Delivery.kind == "meeting_change")).one()
        with pytest.raises(MeetingClosed):
            cancel_and_notify(session, meeting_id=meeting.id, now=NOW, quiet=QUIET)


def test_quiet_hours_defer_to_the_morning_and_never_drop() -> None:
    late = datetime(2026, 12, 3, 23, 10, tzinfo=SHANGHAI)
    early = datetime(2026, 12, 4, 6, 0, tzinfo=SHANGHAI)
    assert QUIET.release(late) == datetime(2026, 12, 4, 8, 0, tzinfo=SHANGHAI)
    assert QUIET.release(early) == datetime(2026, 12, 4, 8, 0, tzinfo=SHANGHAI)
    assert QUIET.release(NOW) is None
    assert QuietHours(time(13, 0), time(14, 0)).contains(datetime(2026, 12, 3, 13, 30, tzinfo=SHANGHAI))


def test_a_reminder_quiet_hours_would_hold_past_the_start_goes_at_once(engine: Engine) -> None:
    """Arranged at 23:00 for 07:25: rather a late reminder stating the time than one after the start."""
    late = datetime(2026, 12, 3, 23, 0, tzinfo=SHANGHAI)
    with Session(engine) as session:
        w = demo.build(session)
        early = create_meeting(
            session,
            org_id=w.branch_a.id,
            kind=MeetingKind.LECTURE,
            starts_at=datetime(2026, 12, 4, 7, 25, tzinfo=SHANGHAI),
        )
        later = create_meeting(
            session,
            org_id=w.branch_b.id,
            kind=MeetingKind.LECTURE,
            starts_at=datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI),
        )
        assert queue_reminder(session, meeting=early, offset="1h", now=late, quiet=QUIET) == 1
        assert queue_reminder(session, meeting=later, offset="1h", now=late, quiet=QUIET) == 1
        now_row, morning_row = session.exec(select(Delivery).order_by(Delivery.id)).all()
        assert abs(now_row.next_try_at - now_row.created_at) < timedelta(seconds=5)
        assert "明天07:25召开党课" in now_row.text and "2026年12月4日（周五）07:25" in now_row.text
        assert morning_row.next_try_at == datetime(2026, 12, 4, 8, 0, tzinfo=SHANGHAI)  # morning
        assert "今天09:00召开党课" in morning_row.text  # as read at 08:00


def test_a_move_notice_at_night_is_not_held_past_the_new_start(engine: Engine) -> None:
    with Session(engine) as session:
        meeting = _reminded_theme_day(session)
        assert meeting.id is not None
        late = datetime(2026, 12, 3, 23, 0, tzinfo=SHANGHAI)
        early = datetime(2026, 12, 4, 7, 30, tzinfo=SHANGHAI)
        move_and_notify(session, meeting_id=meeting.id, starts_at=early, now=late, quiet=QUIET)
        notice = session.exec(select(Delivery).where(Delivery.kind == "meeting_change")).one()
        assert abs(notice.next_try_at - notice.created_at) < timedelta(seconds=5)
