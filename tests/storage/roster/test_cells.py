from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.datetime import to_excel

from storage.roster.cells import parse_date, parse_gender, parse_name, parse_phone, parse_role

DAYS = st.dates(min_value=date(1921, 7, 1), max_value=date(2099, 12, 31))
FORMS = [
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: d.strftime("%Y%m%d"),
    lambda d: int(d.strftime("%Y%m%d")),
    lambda d: int(to_excel(d)),
    lambda d: str(int(to_excel(d))),
    lambda d: float(to_excel(d)),
    lambda d: datetime(d.year, d.month, d.day),
    lambda d: d,
    lambda d: f"{d.isoformat()} 00:00:00",
    lambda d: f"{d.year}/{d.month}/{d.day}".translate(str.maketrans("0123456789/", "０１２３４５６７８９／")),
]


@given(day=DAYS, form=st.sampled_from(FORMS))
def test_every_accepted_date_form_round_trips(day: date, form) -> None:  # type: ignore[no-untyped-def]
    assert parse_date(form(day)) == day


@pytest.mark.parametrize(
    "text", ["2001-02-30", "2001年13月1日", "20010231", "七一", "2001-7", "1899-12-31", "0"]
)
def test_impossible_or_unreadable_dates_are_refused_with_the_text_quoted(text: str) -> None:
    with pytest.raises(ValueError, match=text[:4]):
        parse_date(text)


def test_empty_cells_are_no_date() -> None:
    assert parse_date(None) is None and parse_date("  ") is None


@pytest.mark.parametrize(
    "raw",
    [
        "13900000001",
        "139 0000 0001",
        "139-0000-0001",
        "+86 139 0000 0001",
        "8613900000001",
        13900000001,
        13900000001.0,
        "１３９００００００01",
    ],
)
def test_phones_are_normalised_to_eleven_digits(raw: object) -> None:
    assert parse_phone(raw) == "13900000001"  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["1390000000", "12900000001", "010-12345678", "139000000011", "abc"])
def test_non_mobile_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="手机号码"):
        parse_phone(raw)


def test_gender_role_and_name_cells() -> None:
    assert parse_gender("女性") == "女" and parse_gender(None) is None
    with pytest.raises(ValueError, match="男"):
        parse_gender("未知")
    assert parse_role("支部书记") == ("书记", True)
    assert parse_role("组织委员") == ("组织委员", True)
    assert parse_role("宣传员") == ("宣传员", False)
    assert parse_name(" 张  三 ") == "张三"
    assert parse_name("Anna Li") == "Anna Li"
