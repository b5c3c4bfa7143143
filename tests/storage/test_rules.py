from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from storage.rules import (
    add_months,
    anniversary_in,
    latest_possible_full_date,
    next_anniversary,
    party_standing,
    probation_end,
    usual_latest_full_date,
    whole_years,
)


def test_leap_day_birthdays_move_to_28_february_in_common_years() -> None:
    joined = date(2004, 2, 29)
    assert anniversary_in(2026, joined) == date(2026, 2, 28)
    assert anniversary_in(2028, joined) == date(2028, 2, 29)
    assert next_anniversary(joined, date(2026, 3, 1)) == date(2027, 2, 28)
    assert whole_years(joined, date(2026, 2, 28)) == 22
    assert whole_years(joined, date(2026, 2, 27)) == 21


def test_party_standing_counts_from_full_membership_not_joining() -> None:
    assert party_standing(date(1976, 7, 1), date(2026, 7, 1)) == 50
    assert party_standing(date(1976, 7, 1), date(2026, 6, 30)) == 49
    assert party_standing(None, date(2026, 6, 30)) is None


def test_probation_is_one_year_and_the_plausible_window_allows_one_extension() -> None:
    assert probation_end(date(2025, 12, 20)) == date(2026, 12, 20)
    assert usual_latest_full_date(date(2025, 12, 20)) == date(2027, 3, 20)
    assert latest_possible_full_date(date(2025, 12, 20)) == date(2028, 3, 20)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


@given(st.dates(min_value=date(1921, 7, 1), max_value=date(2100, 1, 1)), st.integers(0, 80))
def test_the_anniversary_is_always_that_many_years_later(joined: date, years: int) -> None:
    day = anniversary_in(joined.year + years, joined)
    assert whole_years(joined, day) == years
    assert next_anniversary(joined, day) == day
