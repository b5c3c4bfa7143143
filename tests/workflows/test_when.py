"""Colloquial dates and times: examples from the issue, the questions asked back, and round trips."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.core.clock import SHANGHAI
from handlers.when import Problem, Unclear, When, cn_number, find, question

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)  # a Monday


@pytest.mark.parametrize(
    ("text", "day", "start"),
    [
        ("明天下午3点", date(2026, 11, 24), time(15)),
        ("后天上午九点", date(2026, 11, 25), time(9)),
        ("大后天晚上8点", date(2026, 11, 26), time(20)),
        ("周三晚上7点半", date(2026, 11, 25), time(19, 30)),
        ("星期日上午10点", date(2026, 11, 29), time(10)),
        ("下周五下午两点半", date(2026, 12, 4), time(14, 30)),
        ("下下周一 15:00", date(2026, 12, 7), time(15)),
        ("12月5日 15:00", date(2026, 12, 5), time(15)),
        ("12月5号下午3点", date(2026, 12, 5), time(15)),
        ("十二月五日下午三点一刻", date(2026, 12, 5), time(15, 15)),
        ("2026-12-05 09:00", date(2026, 12, 5), time(9)),
        ("2027年1月8日 14:30", date(2027, 1, 8), time(14, 30)),
        ("1月8日 14:30", date(2027, 1, 8), time(14, 30)),
        ("下个月15号下午两点半", date(2026, 12, 15), time(14, 30)),
        ("30号下午两点半", date(2026, 11, 30), time(14, 30)),
        ("明晚八点", date(2026, 11, 24), time(20)),
        ("明早8:30", date(2026, 11, 24), time(8, 30)),
        ("今天下午3点", date(2026, 11, 23), time(15)),
        ("下午3点", date(2026, 11, 23), time(15)),
        ("明天中午12点", date(2026, 11, 24), time(12)),
        ("明天中午1点", date(2026, 11, 24), time(13)),
        ("明天9:05", date(2026, 11, 24), time(9, 5)),
        ("明天下午三点二十", date(2026, 11, 24), time(15, 20)),
        ("明天下午3点零5分", date(2026, 11, 24), time(15, 5)),
        ("本周五 14:30", date(2026, 11, 27), time(14, 30)),
    ],
)
def test_understood(text: str, day: date, start: time) -> None:
    found, rest = find(text, NOW)
    assert found == When(day, start), text
    assert rest == ""


def test_the_rest_of_the_message_is_kept_for_place_and_topic() -> None:
    found, rest = find("12月5日 15:00 三楼会议室 主题：学习全会精神", NOW)
    assert found == When(date(2026, 12, 5), time(15))
    assert rest == "三楼会议室 主题：学习全会精神"


def test_building_numbers_are_not_days() -> None:
    found, rest = find("3号楼会议室 12月5日 15:00", NOW)
    assert found == When(date(2026, 12, 5), time(15))
    assert rest == "3号楼会议室"


def test_end_times() -> None:
    assert find("12月5日15:00-17:00", NOW)[0] == When(date(2026, 12, 5), time(15), time(17))
    assert find("明天下午3点到5点半", NOW)[0] == When(date(2026, 11, 24), time(15), time(17, 30))


def test_a_day_without_a_clock_is_returned_as_such() -> None:
    assert find("下周五", NOW)[0] == When(date(2026, 12, 4), None)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("明天3点", Problem.AMPM),
        ("12月5日 8点", Problem.AMPM),
        ("周三7点半", Problem.AMPM),
        ("12月5日 3:00", Problem.AMPM),
        ("周一下午3点", Problem.TODAY_OR_NEXT_WEEK),  # today is Monday
        ("11月20日 15:00", Problem.PAST),
        ("15号下午两点半", Problem.PAST),
        ("今天上午9点", Problem.PAST),
        ("2025年12月5日 15:00", Problem.PAST),
        ("2月30日 15:00", Problem.INVALID),
        ("明天25点", Problem.INVALID),
        ("明天上午13点", Problem.INVALID),
    ],
)
def test_ambiguity_gets_a_question_not_a_guess(text: str, problem: Problem) -> None:
    found, _ = find(text, NOW)
    assert isinstance(found, Unclear), text
    assert found.problem is problem
    assert question(found, NOW.date())


def test_questions_read_naturally() -> None:
    ampm = question(Unclear(Problem.AMPM, hour=3), NOW.date())
    assert "上午还是下午" in ampm and "15:00" in ampm
    assert "下周一" in question(Unclear(Problem.TODAY_OR_NEXT_WEEK, day=NOW.date()), NOW.date())
    assert "12月15日" in question(Unclear(Problem.PAST, day=date(2026, 11, 15)), NOW.date())


def test_no_date_in_plain_text() -> None:
    assert find("三楼会议室 学习二十大精神", NOW) == (None, "三楼会议室 学习二十大精神")


@pytest.mark.parametrize(
    ("text", "value"),
    [("5", 5), ("１２", 12), ("十", 10), ("十二", 12), ("二十三", 23), ("两", 2), ("零五", 5), ("三十", 30)],
)
def test_chinese_numbers(text: str, value: int) -> None:
    assert cn_number(text) == value


_CN = "零一二三四五六七八九"


def _cn(n: int) -> str:
    if n < 10:
        return _CN[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[ones] if ones else "")


def _forms(moment: datetime) -> list[str]:
    d, h, m = moment.date(), moment.hour, moment.minute
    period = "上午" if h < 12 else ("下午" if h < 18 else "晚上")
    h12 = h if h <= 12 else h - 12
    minute_cn = "" if m == 0 else ("半" if m == 30 else f"{_cn(m)}分" if m >= 10 else f"零{_cn(m)}分")
    forms = [
        f"{d.month}月{d.day}日 {h:02d}:{m:02d}",
        f"{d.year}-{d.month:02d}-{d.day:02d} {h}:{m:02d}",
        f"{d.month}月{d.day}号{period}{h12}点{m:02d}分",
        f"{_cn(d.month)}月{_cn(d.day)}日{period}{_cn(h12)}点{minute_cn}",
    ]
    return forms if h >= 7 else forms[2:]


@given(
    days=st.integers(min_value=1, max_value=150),
    hour=st.integers(min_value=7, max_value=22),
    minute=st.sampled_from([0, 5, 10, 15, 20, 30, 45, 50]),
)
def test_every_written_form_round_trips(days: int, hour: int, minute: int) -> None:
    moment = datetime.combine(NOW.date() + timedelta(days=days), time(hour, minute), SHANGHAI)
    for text in _forms(moment):
        found, rest = find(text, NOW)
        assert found == When(moment.date(), moment.time()), text
        assert rest == ""


@given(weekday=st.integers(min_value=0, max_value=6), hour=st.integers(min_value=1, max_value=11))
def test_weekday_forms_land_in_the_right_week(weekday: int, hour: int) -> None:
    name = "一二三四五六日"[weekday]
    nxt = find(f"下周{name}下午{hour}点", NOW)[0]
    assert isinstance(nxt, When)
    assert nxt.day == date(2026, 11, 30) + timedelta(days=weekday)
    assert nxt.start == time(hour + 12)
    bare = find(f"周{name}下午{hour}点", NOW)[0]
    if weekday == 0:
        assert isinstance(bare, Unclear)
    else:
        assert isinstance(bare, When) and bare.day == date(2026, 11, 23) + timedelta(days=weekday)


_ALPHABET = "0123456789:：年月日号点时分半刻整上下午中晚早今明后天周星期一二三四五六七八九十两零〇到- 楼x"


@given(st.text(alphabet=_ALPHABET, max_size=40))
@example("十十十点")
@example("12月十十日 15:00")
@example("二十十号")
@example("明天下午0点")
@example("13月5日 15:00")
@example("99999号")
def test_find_is_total(text: str) -> None:
    """Any text gives a date, a question or nothing, never an exception."""
    found, _ = find(text, NOW)
    assert found is None or isinstance(found, (When, Unclear))
    if isinstance(found, When) and found.start is not None:
        assert datetime.combine(found.day, found.start, SHANGHAI) > NOW
    if isinstance(found, Unclear):
        assert question(found, NOW.date())
