"""Colloquial Chinese dates and times for meetings: 明天下午3点, 下周五, 12月5日 15:00, 周三晚上7点半.

Written here rather than taken from a library, after trying the candidates (2026-11-23):
dateparser 1.x (40 MB installed) returned nothing for 明天下午3点, 下周五, 周三晚上7点半,
后天上午九点 and 15号下午两点半, and read "12月5日 15:00" as the year 2112; jionlp's time
parser is a 16.5 MB wheel before its dependencies, for one function. The grammar here is
small and every form is tested (tests/workflows/test_when.py, with hypothesis round trips).

Never guess: a bare "3点" (上午 or 下午?), "周三" said on a Wednesday, or a time already
past come back as ``Unclear`` with a question for the person to answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from handlers import texts

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_NUM = r"(?:\d{1,4}|[零〇一二两三四五六七八九十]{1,3})"
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_RELATIVE_DAYS = {
    "今天": 0,
    "今日": 0,
    "今晚": 0,
    "明天": 1,
    "明日": 1,
    "明早": 1,
    "明晚": 1,
    "后天": 2,
    "大后天": 3,
}
_IMPLIED_PERIOD = {"今晚": "晚上", "明早": "上午", "明晚": "晚上"}
_AFTERNOON = {"下午", "午后", "傍晚", "晚上", "晚间", "夜里", "夜间"}
_PAST_WINDOW = timedelta(days=183)  # a month/day further back than this means next year

_DATE = (
    rf"(?:(?P<iy>\d{{4}})[-/.](?P<im>\d{{1,2}})[-/.](?P<id>\d{{1,2}})"
    rf"|(?:(?P<y>\d{{4}})年)?(?P<m>{_NUM})月(?:(?P<d>{_NUM})[日号]?)?"
    r"|(?P<rel>大后天|后天|明天|明日|今天|今日|今晚|明早|明晚)"
    r"|(?P<wprefix>下下个?|下个?|本|这个?)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
    rf"|(?P<nm>下个?月)(?P<nd>{_NUM})[号日]"
    rf"|(?P<dd>{_NUM})[号日](?![楼院门线房室厅馆栋座]))"
)
_PERIOD = r"(?P<period>凌晨|早上|早晨|上午|中午|午后|下午|傍晚|晚上|晚间|夜里|夜间)"
_CLOCK = (
    rf"(?:(?P<hh>\d{{1,2}})[:：](?P<mm>\d{{2}})"
    rf"|(?P<h>{_NUM})[点时](?:(?P<half>半)|(?P<quarter>一刻|三刻)|(?P<min>[零〇]?{_NUM})分?|整)?)"
)
_END = rf"(?P<end>\s*(?:-|–|—|~|～|至|到)\s*(?P<eperiod>上午|中午|下午|晚上)?(?:(?P<ehh>\d{{1,2}})[:：](?P<emm>\d{{2}})|(?P<eh>{_NUM})[点时](?P<ehalf>半)?))?"  # noqa: E501
_PATTERN = re.compile(rf"(?P<date>{_DATE})?\s*{_PERIOD}?\s*(?P<clock>{_CLOCK})?{_END}")


class Problem(StrEnum):
    AMPM = "ampm"  # 3点: morning or afternoon?
    TODAY_OR_NEXT_WEEK = "today_or_next_week"  # 周三 said on a Wednesday
    PAST = "past"  # the moment has already gone
    INVALID = "invalid"  # 2月30日, 25点


@dataclass(frozen=True, slots=True)
class When:
    day: date
    start: time | None  # None when only a day was given
    end: time | None = None

    def starts_at(self, tz: object) -> datetime | None:
        return None if self.start is None else datetime.combine(self.day, self.start, tz)  # type: ignore[arg-type]

    def ends_at(self, tz: object) -> datetime | None:
        return None if self.end is None else datetime.combine(self.day, self.end, tz)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Unclear:
    problem: Problem
    day: date | None = None
    hour: int | None = None


def cn_number(text: str) -> int:
    """12, １２, 十二, 二十三, 两, 零五 → int; ValueError for anything else (十十, 三四十)."""
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if len(text) > 1:
        text = text.lstrip("零〇") or "0"
    if text.isdigit():
        return int(text)
    try:
        if "十" in text:
            tens, _, ones = text.partition("十")
            if len(tens) > 1 or len(ones) > 1:
                raise ValueError(text)
            return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
        value = 0
        for ch in text:
            value = value * 10 + _DIGITS[ch]
        return value
    except KeyError as exc:
        raise ValueError(text) from exc


def _first(text: str) -> re.Match[str] | None:
    for match in _PATTERN.finditer(text):
        if match.group("date") or match.group("clock") or match.group("period"):
            return match
    return None


def is_answer(text: str) -> bool:
    """Is ``text`` nothing but a date/time expression (a reply to one of our questions)?"""
    match = _first(text.strip())
    return match is not None and match.group(0).strip() == text.strip()


def expression(text: str) -> str:
    """The first date/time expression in ``text`` as written ("下周三下午三点"); "" when there is none."""
    match = _first(text)
    return match.group(0).strip() if match else ""


def amend(text: str, answer: str) -> str | None:
    """``text`` with its date/time completed by ``answer``: "12月5日 3点" + "下午" → "12月5日 下午3点".

    The answer's date replaces the original date; its period and clock replace the original ones
    (a period alone keeps the original clock). None when ``text`` holds no date or time.
    """
    old, new = _first(text), _first(answer.strip())
    if old is None or new is None:
        return None
    day = new.group("date") or old.group("date") or ""
    period = new.group("period") or ("" if new.group("clock") else old.group("period") or "")
    clock = new.group("clock") or old.group("clock") or ""
    end = old.group("end") or ""
    return " ".join(f"{text[: old.start()]} {day} {period}{clock}{end} {text[old.end() :]}".split())


def find(text: str, now: datetime) -> tuple[When | Unclear | None, str]:
    """The first date/time expression in ``text`` and the text without it; None when there is none."""
    match = _first(text)
    if match is None:
        return None, text
    rest = " ".join((text[: match.start()] + " " + text[match.end() :]).split())
    try:
        return _resolve(match, now), rest
    except ValueError:
        return Unclear(Problem.INVALID), rest


def _resolve(match: re.Match[str], now: datetime) -> When | Unclear:
    day = _day(match, now.date())
    if isinstance(day, Unclear):
        return day
    rel = match.group("rel")
    period = match.group("period") or _IMPLIED_PERIOD.get(rel or "")
    if match.group("clock") is None:
        if day is None:
            return Unclear(Problem.INVALID)
        return When(day, None) if day >= now.date() else Unclear(Problem.PAST, day=day)
    start = _clock(match, period, "")
    if isinstance(start, Unclear):
        return start
    day = day or now.date()
    end = (
        _clock(match, match.group("eperiod") or period, "e")
        if (match.group("ehh") or match.group("eh"))
        else None
    )
    if isinstance(end, Unclear) or (end is not None and end <= start):
        end = None
    if datetime.combine(day, start, now.tzinfo) <= now:
        return Unclear(Problem.PAST, day=day)
    return When(day, start, end)


def _day(match: re.Match[str], today: date) -> date | Unclear | None:
    g = match.group
    if g("iy"):
        return _not_past(date(int(g("iy")), int(g("im")), int(g("id"))), today)
    if g("m"):
        if g("d") is None:
            raise ValueError("month without a day")
        month, day = cn_number(g("m")), cn_number(g("d"))
        if g("y"):
            return _not_past(date(int(g("y")), month, day), today)
        candidate = date(today.year, month, day)
        if candidate < today - _PAST_WINDOW:
            return date(today.year + 1, month, day)
        return _not_past(candidate, today)
    if g("rel"):
        return today + timedelta(days=_RELATIVE_DAYS[g("rel")])
    if g("wd"):
        return _weekday(g("wprefix") or "", g("wd"), today)
    if g("nd"):
        first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        return first.replace(day=cn_number(g("nd")))
    if g("dd"):
        return _not_past(date(today.year, today.month, cn_number(g("dd"))), today)
    return None


def _not_past(day: date, today: date) -> date | Unclear:
    return day if day >= today else Unclear(Problem.PAST, day=day)


def _weekday(prefix: str, name: str, today: date) -> date | Unclear:
    wanted = int(name) - 1 if name.isdigit() else _WEEKDAY[name]
    monday = today - timedelta(days=today.weekday())
    if prefix.startswith("下下"):
        return monday + timedelta(weeks=2, days=wanted)
    if prefix.startswith("下"):
        return monday + timedelta(weeks=1, days=wanted)
    if prefix:  # 本周 / 这周
        return _not_past(monday + timedelta(days=wanted), today)
    if wanted == today.weekday():
        return Unclear(Problem.TODAY_OR_NEXT_WEEK, day=today)
    return today + timedelta(days=(wanted - today.weekday()) % 7)


def _clock(match: re.Match[str], period: str | None, prefix: str) -> time | Unclear:
    g = match.group
    if g(prefix + "hh"):
        hour, minute, digital = int(g(prefix + "hh")), int(g(prefix + "mm")), True
    else:
        hour, digital = cn_number(g(prefix + "h")), False
        minute = 30 if g(prefix + "half") else 0
        if not prefix:
            minute = {"一刻": 15, "三刻": 45}.get(
                g("quarter") or "", cn_number(g("min")) if g("min") else minute
            )
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError("no such time")
    return _with_period(hour, minute, period, digital)


def _with_period(hour: int, minute: int, period: str | None, digital: bool) -> time | Unclear:
    """Apply 上午/下午…; without one, only times nobody could misread are accepted."""
    if period is None:
        if hour >= 12 or hour == 0 or (digital and 7 <= hour <= 11):
            return time(hour, minute)
        return Unclear(Problem.AMPM, hour=hour)
    if period in _AFTERNOON:
        if hour == 12 and period != "下午":
            return Unclear(Problem.AMPM, hour=hour)
        return time(hour + 12 if hour < 12 else hour, minute)
    if period == "中午":
        return time(hour + 12 if hour <= 3 else hour, minute)
    if hour > 12:
        raise ValueError(f"{period}{hour}点")
    return time(0 if (period == "凌晨" and hour == 12) else hour, minute)


def question(unclear: Unclear, today: date) -> str:
    """What to ask back instead of guessing."""
    if unclear.problem is Problem.AMPM and unclear.hour is not None:
        return texts.WHEN_AMPM.format(
            hour=unclear.hour, hour24=unclear.hour + 12 if unclear.hour < 12 else unclear.hour
        )
    if unclear.problem is Problem.TODAY_OR_NEXT_WEEK:
        return texts.WHEN_TODAY_OR_NEXT_WEEK.format(weekday=texts.WEEKDAYS[today.weekday()])
    if unclear.problem is Problem.PAST and unclear.day is not None:
        day = unclear.day
        if day.year == today.year and day.month == today.month and day < today:
            next_month = today.month % 12 + 1
            return texts.WHEN_PAST_MONTH_DAY.format(
                day=texts.cn_date(day), dom=day.day, next_month=next_month
            )
        return texts.WHEN_PAST.format(day=texts.cn_date(day) if day < today else "这个时间")
    return texts.WHEN_INVALID
