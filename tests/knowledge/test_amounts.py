"""Amounts as members write them (handlers/amounts.py), against cn2an and a table of spoken forms."""

from __future__ import annotations

from decimal import Decimal

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.amounts import amounts, number


@given(st.integers(min_value=0, max_value=99_999_999))
def test_chinese_numerals_read_as_cn2an_writes_them(value: int) -> None:
    assert number(cn2an.an2cn(value)) == value
    assert number(cn2an.an2cn(value).replace("二", "两")) == value


@given(st.integers(min_value=1, max_value=9), st.integers(min_value=1, max_value=9))
def test_a_spoken_tail_counts_in_the_unit_below(high: int, tail: int) -> None:
    wan, qian = cn2an.an2cn(high), cn2an.an2cn(tail)
    assert number(f"{high}万{tail}") == number(f"{wan}万{qian}") == high * 10000 + tail * 1000
    assert number(f"{wan}千{qian}") == number(f"{high}k{tail}") == high * 1000 + tail * 100


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("月薪2万5交多少党费", ["25000"]),
        ("工资一万二", ["12000"]),
        ("我工资8k一个月", ["8000"]),
        ("8千块", ["8000"]),
        ("1.2万", ["12000"]),
        ("1w2", ["12000"]),
        ("三百五", ["350"]),
        ("一万零五百", ["10500"]),
        ("退休费3000一个月", ["3000"]),
        ("补交6个月，2026年，15号，3次", []),
    ],
)
def test_amounts_in_colloquial_text(text: str, values: list[str]) -> None:
    assert [a.value for a in amounts(text)] == [Decimal(v) for v in values]


def test_before_and_after_tax_stay_with_their_amount() -> None:
    found = amounts("税前1万2税后1万")
    assert [(a.value, a.tax) for a in found] == [(12000, "税前"), (10000, "税后")]
    assert [(a.value, a.tax) for a in amounts("工资 10000 税后")] == [(10000, "税后")]
