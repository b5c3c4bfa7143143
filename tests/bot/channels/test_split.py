from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.channels._split import measure, split_message

LIMIT_TEXT = st.text(alphabet=st.sampled_from(["党", "支", "部", "a", " ", "\n", "。", "，", "😀"]), max_size=300)


@given(LIMIT_TEXT, st.integers(min_value=4, max_value=60), st.sampled_from(["utf8", "chars"]))
@example("党" * 10, 4, "utf8")
def test_parts_fit_and_join_back(text: str, limit: int, unit: str) -> None:
    parts = split_message(text, unit, limit)  # type: ignore[arg-type]
    assert "".join(parts) == text
    assert all(part and measure(part, unit) <= limit for part in parts)  # type: ignore[arg-type]


def test_wechat_bytes_count_three_per_chinese_character() -> None:
    parts = split_message("党" * 700, "utf8", 2048)
    assert [len(p) for p in parts] == [682, 18]


def test_cuts_prefer_paragraph_breaks() -> None:
    first, second = "一" * 500, "二" * 500
    assert split_message(f"{first}\n\n{second}", "utf8", 2048) == [f"{first}\n\n", second]


def test_a_short_text_is_one_part_and_empty_is_none() -> None:
    assert split_message("你好", "chars", 4096) == ["你好"]
    assert split_message("", "chars", 4096) == []


def test_a_limit_too_small_for_any_character_is_refused() -> None:
    with pytest.raises(ValueError):
        split_message("x", "utf8", 2)
