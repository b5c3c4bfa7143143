"""The 三会一课 ledger (台账) as an .xlsx: one sheet per meeting kind and a completion summary.

Required frequencies (docs/domain-rules.md §A1, §A9): 支委会, 党小组会 and 主题党日 monthly;
支部党员大会 and 党课 quarterly. A 党小组会 is only required where the branch has groups.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from bot.core.clock import SHANGHAI
from bot.core.errors import ZhibuError
from handlers import texts
from handlers.attendance import Roll, branch_id_of, rolls, with_groups
from storage.attendance import meetings_of
from storage.models import Meeting, MeetingKind, MeetingStatus, Organization, OrgKind
from storage.orgs import descendants
from storage.roster.cells import FORMULA_STARTS

MONTHLY = (MeetingKind.COMMITTEE, MeetingKind.GROUP, MeetingKind.THEME_DAY)
QUARTERLY = (MeetingKind.GENERAL_ASSEMBLY, MeetingKind.LECTURE)
ALWAYS_SHEETS = (
    MeetingKind.GENERAL_ASSEMBLY,
    MeetingKind.COMMITTEE,
    MeetingKind.GROUP,
    MeetingKind.LECTURE,
    MeetingKind.THEME_DAY,
)


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    start: date
    end: date  # exclusive


class NotABranch(ZhibuError):
    """The ledger is kept per 党支部; a higher organization's totals would hide a branch that fell short."""


def build(session: Session, *, org: Organization, year: int, now: datetime) -> bytes:
    """The whole workbook as bytes: a branch's sheets by kind, or for a 党委 a sheet per branch below it."""
    assert org.id is not None
    if not OrgKind(org.kind).is_branch:
        below = descendants(session, org.id)
        branches = [o for o in below if OrgKind(o.kind).is_branch]
        if not branches:
            raise NotABranch(f"{org.name}下面没有党支部 / there is no branch under {org.name}")
        orgs = {o.id: o for o in below if o.id is not None}
        return build_all(session, branches=branches, orgs=orgs, year=year, now=now)
    orgs = {o.id: o for o in [org, *descendants(session, org.id)] if o.id is not None}
    meetings, held = _year(session, orgs, year, now)
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = texts.LEDGER_SUMMARY_SHEET
    _summary(summary, org, year, meetings, now, _has_groups(orgs, org))
    kinds = list(ALWAYS_SHEETS) + [
        k for k in MeetingKind if k not in ALWAYS_SHEETS and any(m.kind == k for m in meetings)
    ]
    for kind in kinds:
        sheet = book.create_sheet(kind.value)
        _meeting_table(sheet, [m for m in meetings if m.kind == kind], held, now, with_kind=False)
        sheet.freeze_panes = "A2"
    return _saved(book)


def build_all(
    session: Session,
    *,
    branches: Sequence[Organization],
    orgs: Mapping[int, Organization],
    year: int,
    now: datetime,
) -> bytes:
    """Every branch's ledger in one workbook, a sheet per branch: its completion summary, then its meetings.

    ``orgs`` holds the branches and their 党小组; the whole year is read in a few queries, not per branch.
    """
    wanted = with_groups(branches, orgs)
    meetings, held = _year(session, wanted, year, now)
    by_branch: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in meetings:
        by_branch[branch_id_of(wanted, meeting.org_id)].append(meeting)
    book = Workbook()
    book.remove(book.worksheets[0])
    taken: set[str] = set()
    for branch in branches:
        sheet = book.create_sheet(sheet_title(branch.name, taken))
        mine = by_branch.get(branch.id or 0, [])
        _summary(sheet, branch, year, mine, now, _has_groups(wanted, branch))
        sheet.append([])
        _meeting_table(sheet, mine, held, now, with_kind=True)
    return _saved(book)


FORBIDDEN_IN_TITLES = re.compile(r"[\\/*?:\[\]']")
MAX_TITLE = 31  # Excel's limit on a sheet's name


def sheet_title(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), unlike every one in ``taken``."""
    base = FORBIDDEN_IN_TITLES.sub("_", name)[:MAX_TITLE] or "_"
    title, n = base, 1
    while title.casefold() in taken:
        n += 1
        suffix = f"({n})"
        title = base[: MAX_TITLE - len(suffix)] + suffix
    taken.add(title.casefold())
    return title


def _year(
    session: Session, orgs: Mapping[int, Organization], year: int, now: datetime
) -> tuple[list[Meeting], dict[int, Roll]]:
    """The year's meetings of these organizations, and the rolls of those held."""
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    meetings = meetings_of(
        session, org_ids=sorted(orgs), start=start, end=start.replace(year=year + 1), include_cancelled=True
    )
    return meetings, rolls(session, [m for m in meetings if _held(m, now)], orgs)


def _has_groups(orgs: Mapping[int, Organization], branch: Organization) -> bool:
    return any(o.parent_id == branch.id and OrgKind(o.kind).is_group for o in orgs.values())


def _saved(book: Workbook) -> bytes:
    inert(book)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def inert(book: Workbook) -> None:
    """Make every cell that could be read as a formula plain text (OWASP "CSV injection").

    Topics, places and names are typed by people; openpyxl would store a leading ``=`` as a live
    formula (``=HYPERLINK(...)`` runs when the secretary opens the file). Such cells are written as
    strings with Excel's quote prefix, the file-format form of a leading apostrophe: the text shows
    exactly as typed and stays text when the cell is edited. The ledger itself writes no formulas.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def _held(meeting: Meeting, now: datetime) -> bool:
    return meeting.status != MeetingStatus.CANCELLED and meeting.starts_at <= now


def _status(meeting: Meeting, now: datetime) -> str:
    if meeting.status == MeetingStatus.CANCELLED:
        return texts.LEDGER_STATUS["cancelled"]
    return texts.LEDGER_STATUS["held" if _held(meeting, now) else "planned"]


def _names(pairs: list[tuple[str, str]]) -> str:
    return "、".join(texts.NAME_REASON.format(name=n, reason=r) if r else n for n, r in pairs)


def _row(meeting: Meeting, r: Roll | None, now: datetime) -> list[object]:
    local = meeting.starts_at.astimezone(SHANGHAI)
    base: list[object] = [
        local.date(),
        local.strftime("%H:%M"),
        meeting.topic,
        meeting.place,
        _status(meeting, now),
    ]
    if r is None:
        return [*base, None, None, "", "", "", ""]
    absent = [(m.name, reason) for m, reason in r.absent] + [
        (m.name, texts.LEDGER_NOT_SIGNED) for m in r.missing
    ]
    return [
        *base,
        len(r.expected),
        len(r.present),
        "、".join(m.name for m in r.present),
        _names([(m.name, reason) for m, reason in r.leave]),
        _names(absent),
        r.quorum_problem or "",
    ]


def _meeting_table(
    sheet: Worksheet, meetings: list[Meeting], held: Mapping[int, Roll], now: datetime, *, with_kind: bool
) -> None:
    """The meetings one per row under a header, appended to ``sheet`` (``with_kind``: 会议类型 first)."""
    lead: list[object] = [texts.LEDGER_KIND_COLUMN] if with_kind else []
    sheet.append([*lead, *texts.LEDGER_COLUMNS])
    top = sheet.max_row
    for meeting in meetings:
        kind: list[object] = [meeting.kind] if with_kind else []
        sheet.append([*kind, *_row(meeting, held.get(meeting.id or 0), now)])
    for cell in sheet[top]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=top + 1):
        row[len(lead)].number_format = "yyyy-mm-dd"
        for cell in row[len(lead) + 7 :]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = ((14,) if with_kind else ()) + (12, 7, 30, 18, 8, 6, 6, 30, 30, 30, 30)
    for number, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width


def periods(year: int) -> tuple[list[Period], list[Period]]:
    months = [
        Period(texts.LEDGER_MONTH.format(month=m), date(year, m, 1), date(year + m // 12, m % 12 + 1, 1))
        for m in range(1, 13)
    ]
    quarters = [
        Period(
            texts.LEDGER_QUARTER.format(quarter=texts.QUARTER_NAMES[q - 1]),
            date(year, 3 * q - 2, 1),
            months[3 * q - 1].end,
        )
        for q in range(1, 5)
    ]
    return months, quarters


def _verdict(counts: dict[MeetingKind, int | None], period: Period, today: date) -> str:
    if period.start > today:
        return texts.LEDGER_FUTURE
    short = [k.value for k, n in counts.items() if n is not None and n < 1]
    if not short:
        return texts.LEDGER_OK
    return texts.LEDGER_NOT_DUE if period.end > today else texts.LEDGER_SHORT.format(missing="、".join(short))


def _count(meetings: list[Meeting], kind: MeetingKind, period: Period, now: datetime) -> int:
    return sum(
        1
        for m in meetings
        if m.kind == kind
        and _held(m, now)
        and period.start <= m.starts_at.astimezone(SHANGHAI).date() < period.end
    )


def _summary(
    sheet: Worksheet, org: Organization, year: int, meetings: list[Meeting], now: datetime, has_groups: bool
) -> None:
    today = now.astimezone(SHANGHAI).date()
    sheet.append([texts.LEDGER_SUMMARY_TITLE.format(org=org.name, year=year, today=texts.cn_date(today))])
    sheet.append([texts.LEDGER_REQUIREMENT])
    sheet.append(list(texts.LEDGER_MONTHLY_HEAD))
    months, quarters = periods(year)
    for period in months:
        counts: dict[MeetingKind, int | None] = {k: _count(meetings, k, period, now) for k in MONTHLY}
        if not has_groups:
            counts[MeetingKind.GROUP] = None
        shown = [texts.LEDGER_NO_GROUPS if n is None else n for n in counts.values()]
        sheet.append([period.label, *shown, _verdict(counts, period, today)])
    sheet.append([])
    sheet.append(list(texts.LEDGER_QUARTERLY_HEAD))
    for period in quarters:
        quarterly: dict[MeetingKind, int | None] = {k: _count(meetings, k, period, now) for k in QUARTERLY}
        sheet.append([period.label, *quarterly.values(), _verdict(quarterly, period, today)])
    sheet["A1"].font = Font(bold=True, size=14)
    for column, width in zip("ABCDE", (12, 14, 12, 12, 40), strict=True):
        sheet.column_dimensions[column].width = width
