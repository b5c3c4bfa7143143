"""Roster import: read, check every row, then write all of it or nothing.

The caller owns the transaction (``storage.db.session_scope``); ``RosterInvalid``
raised inside it rolls back whatever was prepared. Existing members are matched by
phone, else by name + 入党日期, so importing the same or a corrected file again is safe.
Empty cells never erase what the roster already knows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Row, insert, update
from sqlmodel import Session, select

from bot.core.errors import ZhibuError
from storage.members import status_for
from storage.models import Member, MemberStatus, Role
from storage.roster.cells import CellError
from storage.roster.columns import Columns, map_columns
from storage.roster.places import Placer, import_parent
from storage.roster.problems import Problems
from storage.roster.read import RosterUnreadable, open_sheet
from storage.roster.validate import PROGRESS_EVERY, Progress, RosterRow, check_rows

PHONE_TAKEN = "这个手机号码已属于名册里的{name}（入党日期{joined}）"
SAME_MEMBER = "和第{other}行对应名册里的同一位党员{name}"
NO_ROWS = "名册里没有数据行 / the roster has no data rows"

# What a row can change; read as plain rows, since 20,000 ORM objects would cost seconds.
_KNOWN_FIELDS = "id name gender birth_date org_id group_id role joined_on full_on status phone".split()
_KNOWN = tuple(getattr(Member, name) for name in _KNOWN_FIELDS)
Known = Row[Any]


class RosterInvalid(ZhibuError):
    """The file has errors; nothing was imported. ``errors`` lists the first of them and counts them all."""

    def __init__(self, errors: Problems, warnings: Problems) -> None:
        super().__init__(
            f"名册有 {errors.total} 处错误，没有导入任何数据 / {errors.total} error(s), nothing imported"
        )
        self.errors = errors
        self.warnings = warnings


@dataclass(slots=True)
class ImportSummary:
    parent: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    orgs_created: list[str] = field(default_factory=list)
    warnings: Problems = field(default_factory=Problems)


def import_roster(
    session: Session,
    *,
    path: Path,
    now: datetime,
    org_ref: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import ``path`` below ``org_ref`` (default: the only top-level organization)."""
    sheet = open_sheet(path)
    columns, header_errors, header_warnings = map_columns(sheet.header, sheet.header_row)
    warnings = Problems()
    warnings.extend(header_warnings)
    if header_errors:
        errors = Problems()
        errors.extend(header_errors)
        raise RosterInvalid(errors, warnings)
    checked = check_rows(
        sheet.rows, columns, today=now.date(), total=sheet.total, progress=progress, warnings=warnings
    )
    if checked.errors:
        raise RosterInvalid(checked.errors, warnings)
    if not checked.rows:
        raise RosterUnreadable(NO_ROWS)
    parent = import_parent(session, org_ref)
    placer = Placer(session, parent)
    pairs, errors = _match(session, checked.rows, placer, columns)
    if errors:
        raise RosterInvalid(errors, warnings)
    summary = ImportSummary(parent=parent.name, warnings=warnings)
    _write(session, pairs, placer, now, summary, progress)
    summary.orgs_created = placer.created
    return summary


def _match(
    session: Session, rows: list[RosterRow], placer: Placer, columns: Columns
) -> tuple[list[tuple[RosterRow, Known | None]], Problems]:
    """Pair each row with the member it updates (None: a new member), and list the conflicts."""
    by_phone: dict[str, Known] = {}
    by_person: dict[tuple[str, date], Known] = {}
    for member in session.exec(select(*_KNOWN)):
        if member.phone:
            by_phone[member.phone] = member
        by_person.setdefault((member.name, member.joined_on), member)
    pairs: list[tuple[RosterRow, Known | None]] = []
    errors = Problems()
    claimed: dict[int | None, int] = {}
    for row in rows:
        owner = by_phone.get(row.phone) if row.phone else None
        same_person = by_person.get((row.name, row.joined_on))
        member = owner or same_person
        problem = placer.problem(row, columns.header.get("branch", "所在党支部"))
        if problem is None and owner is not None and same_person is not None and owner is not same_person:
            reason = PHONE_TAKEN.format(name=owner.name, joined=owner.joined_on)
            problem = CellError(row.row, columns.header.get("phone", "手机号码"), reason)
        if problem is None and member is not None and member.id in claimed:
            problem = CellError(
                row.row,
                columns.header["name"],
                SAME_MEMBER.format(other=claimed[member.id], name=member.name),
            )
        if problem is not None:
            errors.add(problem)
        if member is not None:
            claimed.setdefault(member.id, row.row)
        pairs.append((row, member))
    return pairs, errors


def _write(
    session: Session,
    pairs: list[tuple[RosterRow, Known | None]],
    placer: Placer,
    now: datetime,
    summary: ImportSummary,
    progress: Progress | None,
) -> None:
    new: list[dict[str, object]] = []
    changed: list[dict[str, object]] = []
    for count, (row, member) in enumerate(pairs, start=1):
        org_id, group_id = placer.place(row)
        if member is None:
            new.append(_new_member(row, org_id, group_id, now))
        elif changes := _changes(member, row, org_id, group_id, now):
            changed.append(changes)
        else:
            summary.unchanged += 1
        if progress and count % PROGRESS_EVERY == 0:
            progress("write", count, len(pairs))
    session.flush()
    if new:
        session.execute(insert(Member), new)  # one executemany: ORM objects cost 5x more for big rosters
    if changed:
        session.execute(update(Member), changed)  # bulk UPDATE by primary key
    summary.added, summary.updated = len(new), len(changed)
    if progress:
        progress("write", len(pairs), len(pairs))


def _new_member(row: RosterRow, org_id: int, group_id: int | None, now: datetime) -> dict[str, object]:
    """A new ``Member``'s columns; join_month/join_day as ``Member.sync_join_md`` would set them."""
    return {
        "name": row.name,
        "gender": row.gender,
        "birth_date": row.birth_date,
        "org_id": org_id,
        "group_id": group_id,
        "role": row.role or Role.MEMBER,
        "joined_on": row.joined_on,
        "full_on": row.full_on,
        "status": status_for(row.full_on),
        "phone": row.phone,
        "join_month": row.joined_on.month,
        "join_day": row.joined_on.day,
        "created_at": now,
        "updated_at": now,
    }


def _changes(
    member: Known, row: RosterRow, org_id: int, group_id: int | None, now: datetime
) -> dict[str, object]:
    """What the row changes on ``member`` (empty: nothing). Empty cells keep old values."""
    wanted: dict[str, object] = {"name": row.name, "joined_on": row.joined_on, "org_id": org_id}
    for key in ("gender", "birth_date", "full_on", "role", "phone"):
        if getattr(row, key) is not None:
            wanted[key] = getattr(row, key)
    if group_id is not None or org_id != member.org_id:
        wanted["group_id"] = group_id
    if member.status != MemberStatus.TRANSFERRED_OUT:
        wanted["status"] = status_for(row.full_on or member.full_on)
    changes = {key: value for key, value in wanted.items() if getattr(member, key) != value}
    if not changes:
        return {}
    # as Member.sync_join_md keeps them: the political-birthday index follows 入党日期
    return {
        **changes,
        "id": member.id,
        "join_month": row.joined_on.month,
        "join_day": row.joined_on.day,
        "updated_at": now,
    }
