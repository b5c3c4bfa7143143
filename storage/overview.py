"""Bulk reads behind the web console's overview: one query per fact for every branch at once, never per row.

Ids are passed in chunks so a district of thousands of branches stays under the databases' parameter limits.
The caller owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

from sqlalchemy import and_, case
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from storage.audience import COMMITTEE_ROLES
from storage.models import Attendance, Delivery, Meeting, MeetingStatus, Member, MemberStatus

CHUNK = 500
GUIDE_KIND = "guide"  # schedules/guides.py KIND: the batch is "guide:<month>:<branch id>:<guide ids>"


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


@dataclass(frozen=True, slots=True)
class GuideSend:
    """One chat's copy of a month's 清单."""

    chat: str  # channel:account:chat_id
    status: str
    sent_at: datetime | None
    error: str


def guide_sends(session: Session, *, month: str, branch_ids: Sequence[int]) -> dict[int, list[GuideSend]]:
    """Each branch's 清单 deliveries of ``month``, oldest first."""
    found: dict[int, list[GuideSend]] = defaultdict(list)
    for chunk in _chunks(branch_ids):
        query = (
            sa_select(  # seven columns: more than sqlmodel's select is typed for
                col(Delivery.org_id),
                col(Delivery.channel),
                col(Delivery.account),
                col(Delivery.chat_id),
                col(Delivery.status),
                col(Delivery.sent_at),
                col(Delivery.last_error),
            )
            .where(
                col(Delivery.kind) == GUIDE_KIND,
                col(Delivery.batch).startswith(f"{GUIDE_KIND}:{month}:"),
                col(Delivery.org_id).in_(chunk),
            )
            .order_by(col(Delivery.id))
        )
        for org_id, channel, account, chat_id, status, sent_at, error in session.execute(query):
            found[int(org_id)].append(GuideSend(f"{channel}:{account}:{chat_id}", status, sent_at, error))
    return found


def held_counts(
    session: Session, *, org_ids: Sequence[int], bounds: Sequence[datetime]
) -> dict[tuple[int, str], list[int]]:
    """(organization id, kind) → how many meetings not cancelled started in each period.

    Period ``i`` is [bounds[i], bounds[i + 1]). The database counts, one column per period, so a year of
    a district's meetings comes back as one row per organization and kind, not one per meeting or month
    (fetching rows, not counting them, is what costs).
    """
    found: dict[tuple[int, str], list[int]] = {}
    if len(bounds) < 2:
        return found
    starts = col(Meeting.starts_at)
    periods = [
        func.sum(case((and_(starts >= start, starts < end), 1), else_=0)) for start, end in pairwise(bounds)
    ]
    for chunk in _chunks(org_ids):
        query = (
            sa_select(col(Meeting.org_id), col(Meeting.kind), *periods)
            .where(
                col(Meeting.org_id).in_(chunk),
                col(Meeting.status) != MeetingStatus.CANCELLED,
                starts >= bounds[0],
                starts < bounds[-1],
            )
            .group_by(col(Meeting.org_id), col(Meeting.kind))
        )
        for org_id, kind, *counts in session.execute(query):
            found[(int(org_id), str(kind))] = [int(c) for c in counts]
    return found


def attendance_by_org(
    session: Session, *, org_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, dict[str, int]]:
    """organization id → attendance status → records, over its meetings in [start, end) not cancelled."""
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for chunk in _chunks(org_ids):
        query = (
            select(Meeting.org_id, Attendance.status, func.count())
            .join(Meeting, col(Meeting.id) == col(Attendance.meeting_id))
            .where(
                col(Meeting.org_id).in_(chunk),
                Meeting.status != MeetingStatus.CANCELLED,
                Meeting.starts_at >= start,
                Meeting.starts_at < end,
            )
            .group_by(col(Meeting.org_id), col(Attendance.status))
        )
        for org_id, status, count in session.exec(query):
            found[int(org_id)][str(status)] = int(count)
    return found


@dataclass(frozen=True, slots=True)
class HeadCount:
    """Active members of a branch, its committee, and each of its 党小组 (by group id)."""

    members: int = 0
    committee: int = 0
    groups: dict[int, int] | None = None


def head_counts(session: Session, branch_ids: Sequence[int]) -> dict[int, HeadCount]:
    members: dict[int, int] = defaultdict(int)
    committee: dict[int, int] = defaultdict(int)
    groups: dict[int, dict[int, int]] = defaultdict(dict)
    for chunk in _chunks(branch_ids):
        query = (
            select(Member.org_id, Member.group_id, Member.role, func.count())
            .where(col(Member.org_id).in_(chunk), Member.status != MemberStatus.TRANSFERRED_OUT)
            .group_by(col(Member.org_id), col(Member.group_id), col(Member.role))
        )
        for org_id, group_id, role, count in session.exec(query):
            members[org_id] += count
            if role in COMMITTEE_ROLES:
                committee[org_id] += count
            if group_id is not None:
                groups[org_id][group_id] = groups[org_id].get(group_id, 0) + count
    return {b: HeadCount(members[b], committee[b], groups.get(b, {})) for b in branch_ids}


def probationers(
    session: Session, branch_ids: Sequence[int], *, joined_from: date, joined_until: date
) -> dict[int, list[Member]]:
    """预备党员 of these branches admitted between the two days (inclusive)."""
    found: dict[int, list[Member]] = defaultdict(list)
    for chunk in _chunks(branch_ids):
        query = select(Member).where(
            Member.status == MemberStatus.PROBATIONARY,
            col(Member.org_id).in_(chunk),
            col(Member.joined_on).between(joined_from, joined_until),
        )
        for member in session.exec(query.order_by(col(Member.id))):
            found[member.org_id].append(member)
    return found


def deliveries_since(
    session: Session, *, kind: str, org_ids: Sequence[int], since: datetime
) -> dict[int, int]:
    """How many messages of ``kind`` were queued per organization since ``since`` (e.g. 催办 nudges)."""
    found: dict[int, int] = {}
    for chunk in _chunks(org_ids):
        query = (
            select(Delivery.org_id, func.count())
            .where(col(Delivery.kind) == kind, col(Delivery.org_id).in_(chunk), Delivery.created_at >= since)
            .group_by(col(Delivery.org_id))
        )
        found.update((int(org_id or 0), int(count)) for org_id, count in session.exec(query))
    return found
