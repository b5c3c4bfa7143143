"""The console's month at a glance: per branch, the 清单 delivered, 三会一课 held vs required, attendance.

Required frequencies are the ledger's (handlers/ledger.py: 支委会, 党小组会 where the branch has groups and
主题党日 monthly; 支部党员大会 and 党课 quarterly), counted as the compliance nudges count them: a meeting
not cancelled whose start has passed was held. Quarterly kinds count from the quarter's first day to the
end of the chosen month ("so far"). Every fact is read for all branches at once (storage/overview.py).

The chart shows the same share of required kinds done (落实) for every month of the year up to the chosen
one, each month counted as the table counts it, and the whole scope's rate per month as a trend. A
district of hundreds of branches is shown one row per 党委 (the branches' parent) until one is opened.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BytesIO
from typing import NamedTuple

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session

from bot.core.clock import SHANGHAI
from handlers import texts
from handlers.console import Scope, natural_key
from handlers.ledger import MONTHLY, QUARTERLY, inert
from handlers.nudges import NUDGE_KIND
from storage import overview as facts
from storage.guides import check_month
from storage.models import AttendanceStatus, MeetingKind, Member, Organization, OrgKind
from storage.overview import GuideSend, HeadCount
from storage.rules import PROBATION_YEARS, add_months, probation_end

PROBATION_SOON = timedelta(days=30)
PAGE_SIZE = 50
GROUPED, FLAT = "committee", "branch"  # the ``by`` choices; neither: grouped once the rows fill a page


@dataclass(frozen=True, slots=True)
class KindCount:
    kind: MeetingKind
    held: int
    quarterly: bool


class Cell(NamedTuple):
    """One month of the chart: how many of the required kinds were done; ``required`` 0 before it began.

    A tuple: a district's year is thousands of them."""

    month: str
    done: int
    required: int

    @property
    def rate(self) -> float | None:
        return self.done / self.required if self.required else None

    @property
    def level(self) -> str:
        """The cell's shade: none (not begun), 0, low (under half), high, full."""
        rate = self.rate
        if rate is None:
            return "none"
        return "full" if rate >= 1 else "high" if rate >= 0.5 else "low" if rate > 0 else "0"


def _sum_cells(rows: list[list[Cell]], months: list[str]) -> list[Cell]:
    return [
        Cell(month, sum(r[i].done for r in rows), sum(r[i].required for r in rows))
        for i, month in enumerate(months)
    ]


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
    year: list[Cell]  # January to the chosen month

    @property
    def name(self) -> str:
        return self.branch.name

    @property
    def done(self) -> int:
        return sum(1 for k in self.kinds if k.held)

    @property
    def required(self) -> int:
        return len(self.kinds)

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
class GroupRow:
    """A 党委's totals over its branches (those left after filtering)."""

    org_id: int
    name: str
    branches: list[BranchRow]
    year: list[Cell]

    @property
    def parent(self) -> str:
        return ""

    @property
    def done(self) -> int:
        return sum(r.done for r in self.branches)

    @property
    def required(self) -> int:
        return sum(r.required for r in self.branches)

    @property
    def behind(self) -> int:
        return sum(1 for r in self.branches if r.behind)

    @property
    def guide_sent(self) -> int:
        """Branches whose every chat got the 清单."""
        return sum(1 for r in self.branches if r.guide and r.guide_sent == len(r.guide))

    @property
    def guide_failed(self) -> int:
        return sum(1 for r in self.branches if r.guide_failed)

    @property
    def attendance(self) -> float | None:
        rates = [r.attendance for r in self.branches if r.attendance is not None]
        return sum(rates) / len(rates) if rates else None

    @property
    def probation_soon(self) -> int:
        return sum(len(r.probation_soon) for r in self.branches)

    @property
    def nudges(self) -> int:
        return sum(r.nudges for r in self.branches)


@dataclass(frozen=True, slots=True)
class Overview:
    month: str
    rows: list[BranchRow]  # this page's (of the opened 党委 when grouped)
    total: int  # branches after filtering, on every page
    page: int
    pages: int
    trend: list[Cell]  # every branch after filtering, per month
    groups: list[GroupRow]  # empty: not grouped
    opened: int | None = None  # the 党委 whose branches ``rows`` are, when grouped

    @property
    def months(self) -> list[str]:
        return [c.month for c in self.trend]


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
    by: str = "",
    opened: int | None = None,
) -> Overview:
    """The overview of ``month`` for the branches ``scope`` manages: one page, or every row for ``page=None``.

    Grouped by 党委 when ``by`` asks for it, or (``by`` empty, no search) when the rows fill more than a
    page and have more than one parent; then ``rows`` are the ``opened`` 党委's. Raises BadMonth for a
    month that is no month."""
    month = check_month(month)
    first = date(int(month[:4]), int(month[5:]), 1)
    months = [first.replace(month=m) for m in range(1, first.month + 1)]
    branches = [b for b in scope.branches if search.strip() in b.name]
    rows = _rows(session, scope, branches, months, now)
    if behind_only:
        rows = [r for r in rows if r.behind]
    key = _SORT_KEYS.get(sort, _SORT_KEYS["name"])
    rows = sorted(rows, key=key)
    trend = _sum_cells([r.year for r in rows], [f"{m:%Y-%m}" for m in months])
    groups: list[GroupRow] = []
    parents = {r.branch.parent_id for r in rows}
    grouped = by == GROUPED or (not by and not search.strip() and len(rows) > PAGE_SIZE)
    if page is not None and grouped and len(parents) > 1:
        groups = sorted(_groups(scope, rows, trend), key=key)
        opened = opened if opened in parents else None
        rows = [r for r in rows if r.branch.parent_id == opened] if opened is not None else []
    else:
        opened = None
    if page is None:
        return Overview(month, rows, len(rows), 1, 1, trend, groups)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    total = sum(len(g.branches) for g in groups) if groups else len(rows)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return Overview(month, shown, total, page, pages, trend, groups, opened)


_SORT_KEYS = {
    "name": lambda r: (natural_key(r.parent), natural_key(r.name)),
    "done": lambda r: (r.done / max(r.required, 1), natural_key(r.name)),
    "attendance": lambda r: (-1 if r.attendance is None else r.attendance, natural_key(r.name)),
    "guide": lambda r: (r.guide_sent, natural_key(r.name)),
}


def _groups(scope: Scope, rows: list[BranchRow], trend: list[Cell]) -> list[GroupRow]:
    by_parent: dict[int, list[BranchRow]] = defaultdict(list)
    for row in rows:
        by_parent[row.branch.parent_id or 0].append(row)
    months = [c.month for c in trend]
    return [
        GroupRow(
            parent_id,
            scope.orgs[parent_id].name if parent_id in scope.orgs else "",
            members,
            _sum_cells([r.year for r in members], months),
        )
        for parent_id, members in by_parent.items()
    ]


def _rows(
    session: Session, scope: Scope, branches: list[Organization], months: list[date], now: datetime
) -> list[BranchRow]:
    """One row per branch for the last of ``months`` (January to the chosen month), with the year's cells."""
    ids = [b.id for b in branches if b.id is not None]
    wanted = set(ids)
    units = [i for i in scope.org_ids if i in wanted or scope.orgs[i].parent_id in wanted]
    bounds = [min(_at(m), now) for m in [*months, add_months(months[-1], 1)]]
    month_start, until = bounds[-2], bounds[-1]
    held = facts.held_counts(session, org_ids=units, bounds=bounds)
    heads = facts.head_counts(session, ids)
    last = len(months) - 1
    branch_for = {o: b.id for o in units if (b := scope.branch_of(o)) is not None and b.id is not None}
    per_branch: dict[int, dict[str, list[int]]] = {i: {} for i in ids}  # kind → meetings per month
    expected: dict[int, int] = defaultdict(int)  # attendance expected at the chosen month's meetings
    for (org_id, kind), counts in held.items():
        branch_id = branch_for.get(org_id)
        if branch_id is None:
            continue
        month_counts = per_branch[branch_id].setdefault(kind, [0] * len(months))
        for index, count in enumerate(counts):
            month_counts[index] += count
        expected[branch_id] += counts[last] * _expected(kind, org_id, heads[branch_id])
    recorded: dict[int, dict[str, int]] = defaultdict(dict)
    for org_id, statuses in facts.attendance_by_org(
        session, org_ids=units, start=month_start, end=until
    ).items():
        for status, count in statuses.items():
            into = recorded[branch_for[org_id]]
            into[status] = into.get(status, 0) + count
    sends = facts.guide_sends(session, month=f"{months[-1]:%Y-%m}", branch_ids=ids)
    nudges = facts.deliveries_since(session, kind=NUDGE_KIND, org_ids=ids, since=_at(months[-1]))
    has_groups = {o.parent_id for o in scope.orgs.values() if OrgKind(o.kind).is_group}
    soon = until.astimezone(SHANGHAI).date() + PROBATION_SOON
    # whose year of 预备期 ends between the month's start and ``soon`` (a day's slack for 29 February)
    probationers = facts.probationers(
        session,
        ids,
        joined_from=add_months(month_start.date(), -12 * PROBATION_YEARS) - timedelta(days=1),
        joined_until=add_months(soon, -12 * PROBATION_YEARS) + timedelta(days=1),
    )
    names = [f"{m:%Y-%m}" for m in months]
    begun = [bounds[i] < bounds[i + 1] for i in range(len(months))]
    rows = []
    for branch in branches:
        assert branch.id is not None
        tallies = _tallies(per_branch[branch.id], len(months), branch.id in has_groups)
        rows.append(
            BranchRow(
                branch=branch,
                parent=scope.parent_name(branch),
                guide=sends.get(branch.id, []),
                kinds=[KindCount(kind, counts[last], quarterly) for kind, quarterly, counts in tallies],
                attendance=_attendance(expected[branch.id], recorded[branch.id]),
                probation_soon=[
                    m
                    for m in probationers.get(branch.id, [])
                    if month_start.date() <= probation_end(m.joined_on) <= soon
                ],
                nudges=nudges.get(branch.id, 0),
                year=[
                    Cell(name, sum(map(bool, column)), len(tallies) if started else 0)
                    for name, started, column in zip(
                        names, begun, zip(*(c for *_, c in tallies), strict=True), strict=True
                    )
                ],
            )
        )
    return rows


def _tallies(
    held: dict[str, list[int]], months: int, has_groups: bool
) -> list[tuple[MeetingKind, bool, list[int]]]:
    """Each required kind, whether quarterly, and how many count as held in each month since January.

    A quarterly kind counts what its quarter held so far, so its figure runs on through the quarter."""
    found = []
    for kinds, quarterly in ((MONTHLY, False), (QUARTERLY, True)):
        for kind in kinds:
            if kind == MeetingKind.GROUP and not has_groups:
                continue
            counts = list(held.get(kind) or [0] * months)
            if quarterly:
                for i in range(months):
                    counts[i] += counts[i - 1] if i % 3 else 0
            found.append((kind, quarterly, counts))
    return found


def _expected(kind: str, org_id: int, heads: HeadCount) -> int:
    """How many should attend, as storage/attendance.py ``expected`` decides it, from head counts."""
    if kind == MeetingKind.COMMITTEE:
        return heads.committee
    if kind == MeetingKind.GROUP and heads.groups and org_id in heads.groups:
        return heads.groups[org_id]
    return heads.members


def _attendance(expected: int, recorded: dict[str, int]) -> float | None:
    """Present / expected over a branch's meetings held in the chosen month."""
    if not expected or not recorded:  # held, but nobody recorded anything
        return None
    return min(recorded.get(AttendanceStatus.PRESENT, 0) / expected, 1.0)


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
