from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.dues import compute, describe, income_question, parse_income


@pytest.mark.parametrize(
    ("base", "rate", "fee"),
    [
        ("0", "0.005", "0.00"),
        ("2000", "0.005", "10.00"),
        ("3000", "0.005", "15.00"),
        ("3000.01", "0.01", "30.00"),
        ("5000", "0.01", "50.00"),
        ("5000.01", "0.015", "75.00"),
        ("6000", "0.015", "90.00"),
        ("8000", "0.015", "120.00"),
        ("10000", "0.015", "150.00"),
        ("10000.01", "0.02", "200.00"),
        ("12000", "0.02", "240.00"),
    ],
)
def test_employed_brackets_at_every_boundary(base: str, rate: str, fee: str) -> None:
    dues = compute(Decimal(base), retired=False)
    assert dues.rate == Decimal(rate)
    assert dues.monthly == Decimal(fee)


@pytest.mark.parametrize(
    ("base", "rate", "fee"),
    [
        ("4000", "0.005", "20.00"),
        ("5000", "0.005", "25.00"),
        ("5000.01", "0.01", "50.00"),
        ("6000", "0.01", "60.00"),
    ],
)
def test_retired_brackets(base: str, rate: str, fee: str) -> None:
    dues = compute(Decimal(base), retired=True)
    assert (dues.rate, dues.monthly) == (Decimal(rate), Decimal(fee))


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("月收入8000交多少党费", "8000"),
        ("退休金4000", "4000"),
        ("工资一万二", "12000"),
        ("我一个月工资八千五", "8500"),
        ("月薪1.2万党费多少", "12000"),
        ("工资8千", "8000"),
        ("税后１００００元", "10000"),
        ("工资3000.01", "3000.01"),
        ("2026年工资5000", "5000"),
        ("工资两万", "20000"),
        ("退休费3000一个月交多少党费", "3000"),
        ("工资8000一月", "8000"),
        ("月薪2万5", "25000"),
        ("我工资8k一个月", "8000"),
        ("税前1万2税后1万", "10000"),
    ],
)
def test_income_is_read_from_colloquial_text(text: str, amount: str) -> None:
    assert parse_income(text) == Decimal(amount)


@pytest.mark.parametrize(
    "text", ["党费怎么算", "党费补交不能超过6个月吗", "党费每月几号交", "2024年党费标准"]
)
def test_no_income_in_questions_about_dues(text: str) -> None:
    assert parse_income(text) is None


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("党费咋算 工资8000", "8000"),
        ("8000交多少党费", "8000"),
        ("税后5000党费多少", "5000"),
        ("退休金4000", "4000"),
        ("党费超过一千块上交中央吗", None),
        ("一次交1000元党费要上交吗", None),
    ],
)
def test_only_questions_about_an_income_are_calculated(text: str, amount: str | None) -> None:
    assert income_question(text) == (Decimal(amount) if amount else None)


def test_the_reply_states_base_bracket_and_amount() -> None:
    text = describe(compute(Decimal(8000), retired=False))
    assert "税后" in text and "5000元以上至10000元（含）" in text and "1.5%" in text and "120元" in text
    retired = describe(compute(Decimal(4000), retired=True))
    assert "离退休费" in retired and "0.5%" in retired and "20元" in retired


@given(st.decimals(min_value=0, max_value=100_000, places=2), st.booleans())
def test_dues_never_fall_as_income_rises_within_a_bracket(base: Decimal, retired: bool) -> None:
    dues = compute(base, retired=retired)
    bigger = compute(base + Decimal("0.01"), retired=retired)
    assert dues.monthly == (base * dues.rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if bigger.rate == dues.rate:
        assert bigger.monthly >= dues.monthly
    else:  # crossing a boundary raises the rate for the whole base
        assert bigger.rate > dues.rate and base == dues.upper
