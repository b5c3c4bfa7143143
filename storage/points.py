"""The points ledger: append-only rows with their source event; totals are always sums.

Crediting an event twice adds nothing (unique source); a wrong entry is undone by a
compensating row that names it and says why, never by an edit. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.core.errors import ZhibuError
from storage.db import insert_of
from storage.models import Attendance, Meeting, MeetingStatus, Member, MemberStatus, PointEntry

REVERSAL = "reversal"


class NotReversible(ZhibuError):
    """A reversal of a reversal, of an entry reversed already, or of an entry that does not exist."""


def credit(
    session: Session,
    *,
    member_id: int,
    points: int,
    source: str,
    source_id: int,
    label: str,
    at: datetime,
    recorded_by: int | None = None,
) -> bool:
    """Add one entry; False when this member already has one for this source event."""
    entry = {
        "member_id": member_id,
        "points": points,
        "source": source,
        "source_id": source_id,
        "label": label[:200],
        "at": at,
        "recorded_by": recorded_by,
    }
    return credit_many(session, [entry]) == 1


def credit_many(session: Session, entries: Sequence[dict[str, object]]) -> int:
    """Add many entries (``credit``'s keywords as dicts) in one executemany; how many were new."""
    if not entries:
        return 0
    stmt = (
        insert_of(session)(PointEntry)
        .on_conflict_do_nothing(index_elements=["source", "source_id", "member_id"])
        .returning(col(PointEntry.id))
    )
    rows = [{**e, "label": str(e["label"])[:200], "created_at": e["at"]} for e in entries]
    return len(session.connection().execute(stmt, rows).all())


def reverse(
    session: Session, *, entry_id: int, reason: str, at: datetime, recorded_by: int | None = None
) -> PointEntry:
    """The compensating entry for ``entry_id``; the original stays in the ledger as it was."""
    original = session.get(PointEntry, entry_id)
    if original is None or original.source == REVERSAL:
        raise NotReversible(f"没有可冲正的积分记录 {entry_id} / no entry {entry_id} to reverse")
    if not reason.strip():
        raise NotReversible("冲正要写明原因 / a reversal needs a reason")
    label = f"冲正：{original.label}（{reason.strip()}）"
    if not credit(
        session,
        member_id=original.member_id,
        points=-original.points,
        source=REVERSAL,
        source_id=entry_id,
        label=label,
        at=at,
        recorded_by=recorded_by,
    ):
        raise NotReversible(f"积分记录 {entry_id} 已经冲正过 / entry {entry_id} was reversed already")
    found = session.exec(
        select(PointEntry).where(PointEntry.source == REVERSAL, PointEntry.source_id == entry_id)
    ).one()
    return found


def ledger(
    session: Session,
    *,
    member_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
) -> list[PointEntry]:
    """Entries, newest event first."""
    query = select(PointEntry)
    if member_id is not None:
        query = query.where(PointEntry.member_id == member_id)
    if start is not None:
        query = query.where(PointEntry.at >= start)
    if end is not None:
        query = query.where(PointEntry.at < end)
    query = query.order_by(col(PointEntry.at).desc(), col(PointEntry.id).desc())
    return list(session.exec(query.limit(limit) if limit else query))


def by_source(
    session: Session, *, member_id: int, start: datetime, end: datetime
) -> list[tuple[str, int, int]]:
    """(source, entries, points) of one member in a period; reversals count against their own line."""
    rows = session.exec(
        select(PointEntry.source, func.count(), func.sum(PointEntry.points))
        .where(PointEntry.member_id == member_id, PointEntry.at >= start, PointEntry.at < end)
        .group_by(col(PointEntry.source))
        .order_by(col(PointEntry.source))
    ).all()
    return [(source, int(n), int(total or 0)) for source, n, total in rows]


@dataclass(frozen=True, slots=True)
class Standing:
    member: Member
    points: int


def ranking(session: Session, *, member_ids: Sequence[int], start: datetime, end: datetime) -> list[Standing]:
    """These members by points earned in [start, end), highest first; members without points score 0."""
    ids = sorted(set(member_ids))
    totals: dict[int, int] = {}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        for member_id, total in session.exec(
            select(PointEntry.member_id, func.sum(PointEntry.points))
            .where(col(PointEntry.member_id).in_(chunk), PointEntry.at >= start, PointEntry.at < end)
            .group_by(col(PointEntry.member_id))
        ):
            totals[member_id] = int(total or 0)
    members = [session.get(Member, i) for i in ids]
    standings = [Standing(m, totals.get(m.id or 0, 0)) for m in members if m is not None]
    return sorted(standings, key=lambda s: (-s.points, s.member.id or 0))


class Roll(NamedTuple):
    """One attendance record to credit, with what its label needs."""

    attendance_id: int
    member_id: int
    status: str
    kind: str
    starts_at: datetime


def attendance_to_credit(
    session: Session, *, statuses: Sequence[str], since: datetime, until: datetime, limit: int, after: int = 0
) -> list[Roll]:
    """Attendance in ``statuses`` at meetings that started in [since, until) and were not cancelled,
    with no ledger entry yet, oldest first from attendance id ``after`` on (so batches move forward).
    Plain rows, not ORM objects: a first run reads a year of rolls."""
    credited = select(PointEntry.id).where(
        PointEntry.source == "attendance",
        col(PointEntry.source_id) == Attendance.id,
        col(PointEntry.member_id) == Attendance.member_id,
    )
    rows = session.execute(
        sa_select(
            col(Attendance.id),
            col(Attendance.member_id),
            col(Attendance.status),
            col(Meeting.kind),
            col(Meeting.starts_at),
        )
        .join(Meeting, col(Meeting.id) == Attendance.meeting_id)
        .join(Member, col(Member.id) == Attendance.member_id)
        .where(
            col(Attendance.id) > after,
            col(Meeting.status) != MeetingStatus.CANCELLED,
            col(Meeting.starts_at) >= since,
            col(Meeting.starts_at) < until,
            col(Attendance.status).in_(list(statuses)),
            col(Member.status) != MemberStatus.TRANSFERRED_OUT,
            ~credited.exists(),
        )
        .order_by(col(Attendance.id))
        .limit(limit)
    ).all()
    return [Roll(*row) for row in rows]
