"""Checking every row before anything is written, so the user gets all problems at once.

The date rules come from docs/domain-rules.md §A3/§A4: 预备期 is one year, it can be
extended by at most one more, and the 党委 approves a 转正 within three months.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from storage.roster.cells import (
    FORMULA_STARTS,
    Cell,
    CellError,
    Formula,
    parse_date,
    parse_gender,
    parse_name,
    parse_phone,
    parse_role,
    text_of,
)
from storage.roster.columns import HEADERS, Columns
from storage.roster.problems import Problems
from storage.rules import latest_possible_full_date, probation_end, usual_latest_full_date, whole_years

Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 500

REQUIRED_VALUE = "必填，不能为空"
JOINED_IN_FUTURE = "入党日期{day}还没到"
FULL_IN_FUTURE = "转正日期{day}还没到"
FULL_BEFORE_JOINED = "转正日期{full}早于入党日期{joined}"
FULL_TOO_LATE = "转正日期{full}离入党日期太远：预备期1年、最多延长1年、党委3个月内审批，最晚是{latest}"
FULL_EXTENDED = "转正日期{full}晚于按期转正的最晚时间{usual}；如果延长过预备期请忽略，否则请核对"
FULL_TOO_EARLY = "转正日期{full}距入党不满一年（预备期为一年），请核对"
BORN_AFTER_JOINED = "出生日期{birth}晚于入党日期{joined}"
JOINED_YOUNG = "入党时未满18岁（出生日期{birth}），请核对"
NO_FULL_DATE_LONG_AGO = "没有转正日期，但入党已超过两年多；将按预备党员导入，请核对"
UNKNOWN_ROLE = "职务“{role}”不在常用职务里，已按原文保存"
SAME_PHONE = "和第{other}行是同一个手机号码"
SAME_PERSON = "和第{other}行姓名、入党日期都相同，像是同一个人"
ORG_NAME_TOO_LONG = "组织名称太长（{length}个字），最多{limit}个字"
ORG_NAME_LIMIT = 100  # Organization.name's column width
NAME_LOOKS_LIKE_FORMULA = "姓名不能以 = + - @ 开头（像是公式，不像人名），请核对"
FORMULA_CELL = "这一格是公式，请先把公式转成数值（复制后“选择性粘贴 → 数值”）再导入"
SLASH_IN_GROUP = "党小组名称里不能有“/”（“/”用来分隔上下级组织），请换成别的符号"


@dataclass(slots=True)
class RosterRow:
    """One member as the file describes them; None means the cell (or the column) was empty."""

    row: int
    name: str
    joined_on: date
    full_on: date | None = None
    gender: str | None = None
    birth_date: date | None = None
    branch: str = ""
    group: str = ""
    role: str | None = None
    phone: str | None = None


@dataclass(slots=True)
class Checked:
    rows: list[RosterRow] = field(default_factory=list)
    errors: Problems = field(default_factory=Problems)
    warnings: Problems = field(default_factory=Problems)


class _Row:
    """Reads one row's cells by field, collecting a CellError per bad cell."""

    def __init__(self, number: int, values: tuple[Cell, ...], columns: Columns, out: Checked) -> None:
        self.number, self.values, self.columns, self.out = number, values, columns, out
        self.formulas = {key for key in columns.index if isinstance(self._cell(key), Formula)}

    def raw(self, key: str) -> Cell:
        """The cell's value; a formula cell reads as empty (it is reported once, by ``_parse``)."""
        return None if key in self.formulas else self._cell(key)

    def _cell(self, key: str) -> Cell:
        position = self.columns.index.get(key)
        return self.values[position] if position is not None and position < len(self.values) else None

    def get(self, key: str, parse: Callable[[Cell], object]) -> object:
        try:
            return parse(self.raw(key))
        except ValueError as exc:
            self.error(key, str(exc))
            return None

    def error(self, key: str, reason: str) -> None:
        self.out.errors.add(CellError(self.number, self._header(key), reason))

    def warn(self, key: str, reason: str) -> None:
        self.out.warnings.add(CellError(self.number, self._header(key), reason))

    def _header(self, key: str) -> str:
        return self.columns.header.get(key, HEADERS[key][0])


def check_rows(
    rows: Iterator[tuple[int, tuple[Cell, ...]]],
    columns: Columns,
    *,
    today: date,
    total: int = 0,
    progress: Progress | None = None,
    warnings: Problems | None = None,
) -> Checked:
    """Every row parsed and checked; ``warnings`` may carry the header's, so all are counted in one place."""
    out = Checked(warnings=warnings if warnings is not None else Problems())
    seen_phone: dict[str, int] = {}
    seen_person: dict[tuple[str, date], int] = {}
    for count, (number, values) in enumerate(rows, start=1):
        row = _parse(_Row(number, values, columns, out), today)
        if row is not None:
            _check_duplicate(row, seen_phone, seen_person, _Row(number, values, columns, out))
            out.rows.append(row)
        if progress and count % PROGRESS_EVERY == 0:
            progress("check", count, total)
    if progress:
        progress("check", len(out.rows), len(out.rows))
    return out


def _parse(cells: _Row, today: date) -> RosterRow | None:
    before = cells.out.errors.total
    for key in sorted(cells.formulas, key=cells.columns.index.__getitem__):
        cells.error(key, FORMULA_CELL)
    name = cells.get("name", parse_name)
    joined = cells.get("joined_on", parse_date)
    full = cells.get("full_on", parse_date)
    birth = cells.get("birth_date", parse_date)
    gender = cells.get("gender", parse_gender)
    phone = cells.get("phone", parse_phone)
    role, known = parse_role(cells.raw("role"))
    if not known:
        cells.warn("role", UNKNOWN_ROLE.format(role=role))
    for key, value in (("name", name), ("joined_on", joined)):
        if value is None and key not in cells.formulas and text_of(cells.raw(key)) == "":
            cells.error(key, REQUIRED_VALUE)
    if isinstance(name, str) and name.startswith(FORMULA_STARTS):
        cells.error("name", NAME_LOOKS_LIKE_FORMULA)
    branch, group = text_of(cells.raw("branch")), text_of(cells.raw("group"))
    for key, value in (("branch", branch), ("group", group)):
        if len(value) > ORG_NAME_LIMIT:
            cells.error(key, ORG_NAME_TOO_LONG.format(length=len(value), limit=ORG_NAME_LIMIT))
    if "/" in group or "／" in group:
        cells.error("group", SLASH_IN_GROUP)
    if isinstance(joined, date):
        _check_dates(
            cells,
            today,
            joined,
            full if isinstance(full, date) else None,
            birth if isinstance(birth, date) else None,
        )
    if cells.out.errors.total > before or not isinstance(name, str) or not isinstance(joined, date):
        return None
    return RosterRow(
        row=cells.number,
        name=name,
        joined_on=joined,
        full_on=full if isinstance(full, date) else None,
        gender=gender if isinstance(gender, str) else None,
        birth_date=birth,  # type: ignore[arg-type]
        branch=branch,
        group=group,
        role=role,
        phone=phone,  # type: ignore[arg-type]
    )


def _check_dates(cells: _Row, today: date, joined: date, full: date | None, birth: date | None) -> None:
    if joined > today:
        cells.error("joined_on", JOINED_IN_FUTURE.format(day=joined))
    if birth is not None and birth > joined:
        cells.error("birth_date", BORN_AFTER_JOINED.format(birth=birth, joined=joined))
    elif birth is not None and whole_years(birth, joined) < 18:
        cells.warn("birth_date", JOINED_YOUNG.format(birth=birth))
    if full is None:
        if latest_possible_full_date(joined) < today:
            cells.warn("full_on", NO_FULL_DATE_LONG_AGO)
        return
    if full > today:
        cells.error("full_on", FULL_IN_FUTURE.format(day=full))
    if full < joined:
        cells.error("full_on", FULL_BEFORE_JOINED.format(full=full, joined=joined))
    elif full < probation_end(joined):
        cells.warn("full_on", FULL_TOO_EARLY.format(full=full))
    elif full > latest_possible_full_date(joined):
        cells.error("full_on", FULL_TOO_LATE.format(full=full, latest=latest_possible_full_date(joined)))
    elif full > usual_latest_full_date(joined):
        cells.warn("full_on", FULL_EXTENDED.format(full=full, usual=usual_latest_full_date(joined)))


def _check_duplicate(
    row: RosterRow, seen_phone: dict[str, int], seen_person: dict[tuple[str, date], int], cells: _Row
) -> None:
    person = (row.name, row.joined_on)
    if row.phone and row.phone in seen_phone:
        cells.error("phone", SAME_PHONE.format(other=seen_phone[row.phone]))
    elif person in seen_person:
        cells.error("name", SAME_PERSON.format(other=seen_person[person]))
    if row.phone:
        seen_phone.setdefault(row.phone, row.row)
    seen_person.setdefault(person, row.row)
