"""Upcoming meetings as an iCalendar file, for `zhibu export ics` and the subscribable feed URL.

Times are written in UTC so every calendar app places them right without a VTIMEZONE;
cancelled meetings stay in the feed marked CANCELLED so subscribed phones drop them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from sqlmodel import Session

from handlers import texts
from handlers.attendance import branch_id_of, with_groups
from handlers.scope import subtree
from storage.attendance import WITHOUT_END, meetings_of
from storage.models import Meeting, MeetingStatus, Organization

HORIZON = timedelta(days=366)
RECENT = timedelta(days=7)  # keep last week's meetings so a calendar does not drop them at once


def _event(meeting: Meeting, now: datetime, branch: str = "") -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@zhibu")
    event.add("dtstamp", now.astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", meeting.starts_at.astimezone(UTC))
    event.add("dtend", (meeting.ends_at or meeting.starts_at + WITHOUT_END).astimezone(UTC))
    summary = f"{meeting.kind}：{meeting.topic}" if meeting.topic else meeting.kind
    event.add("summary", f"{branch} · {summary}" if branch else summary)
    if meeting.place:
        event.add("location", meeting.place)
    if meeting.topic:
        event.add("description", meeting.topic)
    event.add("status", "CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED")
    event.add("last-modified", meeting.updated_at.astimezone(UTC).replace(microsecond=0))
    event.add("sequence", int(meeting.updated_at.timestamp()) // 60)  # grows with every change
    return event


def build(session: Session, *, org: Organization, now: datetime) -> bytes:
    return _calendar(session, org_ids=subtree(session, org), name=org.name, now=now)


def build_all(
    session: Session,
    *,
    branches: Sequence[Organization],
    orgs: Mapping[int, Organization],
    name: str,
    now: datetime,
) -> bytes:
    """The meetings of every branch in one calendar (one query), each titled with its branch's name."""
    wanted = with_groups(branches, orgs)
    names = {i: orgs[branch_id_of(orgs, i)].name for i in wanted}
    return _calendar(session, org_ids=sorted(wanted), name=name, now=now, branch_names=names)


def _calendar(
    session: Session,
    *,
    org_ids: Sequence[int],
    name: str,
    now: datetime,
    branch_names: Mapping[int, str] | None = None,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//zhibu//支部助手//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", texts.CALENDAR_NAME.format(org=name))
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    meetings = meetings_of(
        session, org_ids=org_ids, start=now - RECENT, end=now + HORIZON, include_cancelled=True
    )
    for meeting in meetings:
        calendar.add_component(_event(meeting, now, (branch_names or {}).get(meeting.org_id, "")))
    return calendar.to_ical()
