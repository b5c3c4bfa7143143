from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.channels._split import measure, split_message

LIMIT_TEXT = st.text(
    alphabet=st.sampled_from(["党", "支", "部", "a", " ", "\n", "。", "，", "😀"]), max_size=300
)


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


UNITS = st.sampled_from(["utf8", "chars", "utf16"])
CONSTRUCTS = [
    "[支部章程](https://e.org/a)",
    "**三会一课**",
    "`/bind 1234`",
    '<font color="info">已送达</font>',
    "<@zhangsan>",
]
MARKDOWN_TEXT = st.lists(
    st.sampled_from([*CONSTRUCTS, "党员", "。", "\n", " ", "\n\n", "😀", "e\u0301"]), max_size=80
)


@given(st.text(max_size=300), st.integers(min_value=4, max_value=80), UNITS)
def test_any_text_splits_into_fitting_parts_that_join_back(text: str, limit: int, unit: str) -> None:
    parts = split_message(text, unit, limit)  # type: ignore[arg-type]
    assert "".join(parts) == text
    assert all(part and measure(part, unit) <= limit for part in parts)  # type: ignore[arg-type]


@given(MARKDOWN_TEXT, st.integers(min_value=40, max_value=120), UNITS)
def test_markdown_constructs_that_fit_are_never_cut(tokens: list[str], limit: int, unit: str) -> None:
    text = "".join(tokens)
    parts = split_message(text, unit, limit, markup="markdown")  # type: ignore[arg-type]
    assert "".join(parts) == text
    assert all(measure(part, unit) <= limit for part in parts)  # type: ignore[arg-type]
    cuts, position = set(), 0
    for part in parts[:-1]:
        position += len(part)
        cuts.add(position)
    position = 0
    for token in tokens:
        inside = set(range(position + 1, position + len(token)))
        if token in CONSTRUCTS or token == "e\u0301":  # plain words may be cut when nothing better fits
            assert not inside & cuts, (token, parts)
        position += len(token)


def test_telegram_counts_an_emoji_as_two_and_never_splits_it() -> None:
    parts = split_message("😀" * 5, "utf16", 4)
    assert parts == ["😀😀", "😀😀", "😀"]
    assert measure("😀a", "utf16") == 3 and measure("😀a", "chars") == 2 and measure("😀a", "utf8") == 5


def test_a_cut_prefers_a_late_line_break_over_an_early_paragraph_break() -> None:
    text = "标题\n\n" + "一" * 600 + "\n" + "二" * 200
    parts = split_message(text, "utf8", 2048)
    assert parts[0].endswith("一\n") and parts[1] == "二" * 200
