"""The console's month at a glance: per branch, the 清单 delivered, 三会一课 held vs required, attendance.

Required frequencies are the ledger's (handlers/ledger.py: 支委会, 党小组会 where the branch has groups and
主题党日 monthly; 支部党员大会 and 党课 quarterly), counted as the compliance nudges count them: a meeting
not cancelled whose start has passed was held. Quarterly kinds count from the quarter's first day to the
end of the chosen month ("so far"). Every fact is read for all branches at once (storage/overview.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session

from bot.core.clock import SHANGHAI
from handlers import texts
from handlers.console import Scope
from handlers.ledger import MONTHLY, QUARTERLY, inert
from handlers.nudges import NUDGE_KIND, quarter_of
from storage import overview as facts
from storage.guides import check_month
from storage.models import AttendanceStatus, MeetingKind, Member, Organization, OrgKind
from storage.overview import GuideSend, HeadCount, HeldMeeting
from storage.rules import add_months, probation_end

PROBATION_SOON = timedelta(days=30)
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class KindCount:
    kind: MeetingKind
    held: int
    quarterly: bool


@dataclass(frozen=True, slots=True)
class BranchRow:
    branch: Organization
    parent: str
    guide: list[GuideSend]
    kinds: list[KindCount]  # only the kinds this branch is required to hold
    # present / expected over the month's held meetings; None when none was held or none has any record
    attendance: float | None
    probation_soon: list[Member]
    nudges: int

    @property
    def done(self) -> int:
        return sum(1 for k in self.kinds if k.held)

    @property
    def guide_sent(self) -> int:
        return sum(1 for g in self.guide if g.status == "sent")

    @property
    def guide_failed(self) -> int:
        return sum(1 for g in self.guide if g.status == "failed")

    @property
    def behind(self) -> bool:
        return self.done < len(self.kinds)


@dataclass(frozen=True, slots=True)
class Overview:
    month: str
    rows: list[BranchRow]  # this page's
    total: int  # rows after filtering, on every page
    page: int
    pages: int


def _at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI)


def this_month(now: datetime) -> str:
    return f"{now.astimezone(SHANGHAI):%Y-%m}"


def build(
    session: Session,
    *,
    scope: Scope,
    month: str,
    now: datetime,
    search: str = "",
    behind_only: bool = False,
    sort: str = "name",
    page: int | None = 1,
) -> Overview:
    """The overview of ``month`` for the branches ``scope`` manages: one page, or every row for ``page=None``.

    Raises BadMonth for a month that is no month."""
    month = check_month(month)
    first = date(int(month[:4]), int(month[5:]), 1)
    quarter_start, _ = quarter_of(first)
    month_start, month_end = _at(first), _at(add_months(first, 1))
    until = min(month_end, now)
    branches = [b for b in scope.branches if search.strip() in b.name]
    rows = _rows(session, scope, branches, month, month_start, _at(quarter_start), until)
    if behind_only:
        rows = [r for r in rows if r.behind]
    rows = sorted(rows, key=_SORT_KEYS.get(sort, _SORT_KEYS["name"]))
    if page is None:
        return Overview(month, rows, len(rows), 1, 1)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return Overview(month, rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], len(rows), page, pages)


_SORT_KEYS = {
    "name": lambda r: (r.parent, r.branch.name),
    "done": lambda r: (r.done / max(len(r.kinds), 1), r.branch.name),
    "attendance": lambda r: (-1 if r.attendance is None else r.attendance, r.branch.name),
    "guide": lambda r: (r.guide_sent, r.branch.name),
}


def _rows(
    session: Session,
    scope: Scope,
    branches: list[Organization],
    month: str,
    month_start: datetime,
    quarter_start: datetime,
    until: datetime,
) -> list[BranchRow]:
    ids = [b.id for b in branches if b.id is not None]
    wanted = set(ids)
    units = [i for i in scope.org_ids if i in wanted or scope.orgs[i].parent_id in wanted]
    meetings = facts.meetings_between(session, org_ids=units, start=quarter_start, end=until)
    by_branch: dict[int, list[HeldMeeting]] = {i: [] for i in ids}
    for meeting in meetings:
        branch = scope.branch_of(meeting.org_id)
        if branch is not None and branch.id in by_branch:
            by_branch[branch.id].append(meeting)
    in_month = [m for m in meetings if m.starts_at >= month_start]
    counts = facts.attendance_counts(session, [m.id for m in in_month])
    heads = facts.head_counts(session, ids)
    sends = facts.guide_sends(session, month=month, branch_ids=ids)
    probationers = facts.probationers(session, ids)
    nudges = facts.deliveries_since(session, kind=NUDGE_KIND, org_ids=ids, since=month_start)
    has_groups = {o.parent_id for o in scope.orgs.values() if OrgKind(o.kind).is_group}
    soon = until.astimezone(SHANGHAI).date() + PROBATION_SOON
    rows = []
    for branch in branches:
        assert branch.id is not None
        held = by_branch[branch.id]
        kinds = [
            KindCount(
                kind,
                sum(1 for m in held if m.kind == kind and (quarterly or m.starts_at >= month_start)),
                quarterly,
            )
            for kinds, quarterly in ((MONTHLY, False), (QUARTERLY, True))
            for kind in kinds
            if kind != MeetingKind.GROUP or branch.id in has_groups
        ]
        month_held = [m for m in held if m.starts_at >= month_start]
        rows.append(
            BranchRow(
                branch=branch,
                parent=scope.parent_name(branch),
                guide=sends.get(branch.id, []),
                kinds=kinds,
                attendance=_attendance(month_held, counts, heads[branch.id]),
                probation_soon=[
                    m
                    for m in probationers.get(branch.id, [])
                    if probation_end(m.joined_on) <= soon and probation_end(m.joined_on) >= month_start.date()
                ],
                nudges=nudges.get(branch.id, 0),
            )
        )
    return rows


def _expected(meeting: HeldMeeting, heads: HeadCount) -> int:
    """How many should attend, as storage/attendance.py ``expected`` decides it, from head counts."""
    if meeting.kind == MeetingKind.COMMITTEE:
        return heads.committee
    if meeting.kind == MeetingKind.GROUP and heads.groups and meeting.org_id in heads.groups:
        return heads.groups[meeting.org_id]
    return heads.members


def _attendance(
    meetings: list[HeldMeeting], counts: dict[int, dict[str, int]], heads: HeadCount
) -> float | None:
    expected = sum(_expected(m, heads) for m in meetings)
    if not expected or not any(counts.get(m.id) for m in meetings):  # held, but nobody recorded anything
        return None
    present = sum(counts.get(m.id, {}).get(AttendanceStatus.PRESENT, 0) for m in meetings)
    return min(present / expected, 1.0)


def workbook(view: Overview) -> bytes:
    """The whole table as an .xlsx, one row per branch, for district staff to file or forward."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = view.month
    kinds = [*MONTHLY, *QUARTERLY]
    sheet.append(
        [
            "上级组织",
            "支部",
            "清单送达",
            "清单群数",
            *[k.value for k in kinds],
            "已落实",
            "应落实",
            "出勤率",
            "预备期将满",
            "催办",
        ]
    )
    for row in view.rows:
        held = {k.kind: k.held for k in row.kinds}
        sheet.append(
            [
                row.parent,
                row.branch.name,
                row.guide_sent,
                len(row.guide),
                *[held.get(k, texts.LEDGER_NO_GROUPS) for k in kinds],
                row.done,
                len(row.kinds),
                None if row.attendance is None else round(row.attendance, 3),
                "、".join(m.name for m in row.probation_soon),
                row.nudges,
            ]
        )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row_cells in sheet.iter_rows(min_row=2, min_col=12, max_col=12):
        row_cells[0].number_format = "0%"
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 18, 24
    sheet.freeze_panes = "C2"
    inert(book)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
