"""Turning the cells people type into values: dates, phones, genders, roles.

Each parser raises ``ValueError`` with a short Chinese reason; the importer turns
that into a ``CellError`` carrying the row and the column the user sees in Excel.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl.utils.datetime import from_excel

from storage.models import Role

# A leading character that makes a spreadsheet program read the text as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Formula(str):
    """A workbook cell that holds a formula, as its text ("=VLOOKUP(...)").

    Excel saves the result it last computed beside the formula; that result may be stale (the sheet
    it looked up is not in the file) or missing (files written by other programs), so the importer
    reports such a cell and asks for values instead of guessing either.
    """

    __slots__ = ()


Cell = str | int | float | date | datetime | None


@dataclass(frozen=True, slots=True)
class CellError:
    """One problem in the file: ``row`` as Excel numbers it (header = 1), ``column`` as its header says."""

    row: int
    column: str
    reason: str


_SEPARATED = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^(\d{1,5})(?:\.0+)?$")
_EARLIEST = date(1900, 1, 1)
_LATEST = date(2100, 12, 31)

BAD_DATE = "日期看不懂：“{text}”。请写成 2001-07-01、2001/7/1、2001.07.01、2001年7月1日 或 20010701"
NO_SUCH_DAY = "没有这一天：“{text}”"
DATE_OUT_OF_RANGE = "日期超出合理范围：“{text}”"


def text_of(value: Cell) -> str:
    """A cell as trimmed text, with full-width digits and punctuation folded (NFKC)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_date(value: Cell) -> date | None:
    """A date from any form people type or Excel stores; None for an empty cell."""
    if isinstance(value, datetime):
        return _in_range(value.date(), str(value))
    if isinstance(value, date):
        return _in_range(value, str(value))
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 100_000:
        return _from_serial(value, text_of(value))
    text = text_of(value)
    if not text:
        return None
    for pattern in (_SEPARATED, _COMPACT):
        found = pattern.match(text)
        if found:
            return _ymd(*found.groups(), text=text)
    serial = _SERIAL.match(text)
    if serial:
        return _from_serial(int(serial.group(1)), text)
    raise ValueError(BAD_DATE.format(text=text))


def _ymd(year: str, month: str, day: str, *, text: str) -> date:
    try:
        day_ = date(int(year), int(month), int(day))
    except ValueError as exc:
        raise ValueError(NO_SUCH_DAY.format(text=text)) from exc
    return _in_range(day_, text)


def _from_serial(serial: float, text: str) -> date:
    """Excel's day count (1 = 1900-01-01, with its 1900 leap-year quirk), as a General cell shows it."""
    if serial < 1:
        raise ValueError(BAD_DATE.format(text=text))
    moment = from_excel(serial)
    return _in_range(moment.date() if isinstance(moment, datetime) else moment, text)


def _in_range(day: date, text: str) -> date:
    if not _EARLIEST <= day <= _LATEST:
        raise ValueError(DATE_OUT_OF_RANGE.format(text=text))
    return day


_PHONE_JUNK = re.compile(r"[\s\-()]+")
_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_COUNTRY_CODE = re.compile(r"^(?:\+86|0086|86)(?=1\d{10}$)")
BAD_PHONE = "手机号码不对：“{text}”，应为11位大陆手机号（如 139 0000 0001）"


def parse_phone(value: Cell) -> str | None:
    """11 digits of a mainland mobile number; spaces, dashes and +86 are dropped."""
    text = text_of(value)
    if not text:
        return None
    digits = _COUNTRY_CODE.sub("", _PHONE_JUNK.sub("", text))
    if not _MAINLAND_MOBILE.match(digits):
        raise ValueError(BAD_PHONE.format(text=text))
    return digits


_GENDERS = {
    "男": "男",
    "男性": "男",
    "m": "男",
    "male": "男",
    "女": "女",
    "女性": "女",
    "f": "女",
    "female": "女",
}
BAD_GENDER = "性别应为“男”或“女”，这里是“{text}”"


def parse_gender(value: Cell) -> str | None:
    text = text_of(value)
    if not text:
        return None
    if text.lower() not in _GENDERS:
        raise ValueError(BAD_GENDER.format(text=text))
    return _GENDERS[text.lower()]


_ROLE_ALIASES = {
    "支部书记": Role.SECRETARY,
    "党支部书记": Role.SECRETARY,
    "支部副书记": Role.DEPUTY_SECRETARY,
    "党支部副书记": Role.DEPUTY_SECRETARY,
    "支委": Role.COMMITTEE,
    "支部委员": Role.COMMITTEE,
    "支委委员": Role.COMMITTEE,
    "小组长": Role.GROUP_LEADER,
    "组长": Role.GROUP_LEADER,
    "普通党员": Role.MEMBER,
    "无": Role.MEMBER,
}


def parse_role(value: Cell) -> tuple[str | None, bool]:
    """The ``Role`` a 职务 cell names, and whether it was recognised (unknown text is kept as typed)."""
    text = text_of(value).replace(" ", "")
    if not text:
        return None, True
    if text in {r.value for r in Role}:
        return text, True
    if text in _ROLE_ALIASES:
        return _ROLE_ALIASES[text].value, True
    return text[:20], False


def parse_name(value: Cell) -> str | None:
    """A name without stray spaces (people pad two-character names to line them up)."""
    text = text_of(value)
    if text and all(not ch.isascii() or ch == " " for ch in text):
        text = text.replace(" ", "")
    return text[:50] or None
