"""Cut a long message into parts that each fit one platform message, measured in the platform's unit.

WeChat and WeCom count UTF-8 bytes (one Chinese character is 3 bytes), Telegram
counts characters. Cuts prefer paragraph breaks, then line breaks, then the end
of a sentence or clause, and only then fall back to a cut between characters.
Joining the parts gives back the original text exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

Unit = Literal["utf8", "chars"]

_BREAKS = ("\n\n", "\n", "。", "；", "，", " ")


def measure(text: str, unit: Unit) -> int:
    """The length of ``text`` as the platform counts it."""
    return len(text.encode("utf-8")) if unit == "utf8" else len(text)


def split_message(text: str, unit: Unit, limit: int) -> list[str]:
    """Parts of ``text`` no longer than ``limit`` ``unit``s each; [] for an empty text."""
    if limit < 4:
        raise ValueError("limit must leave room for at least one character")
    if not text:
        return []
    return _split(text, lambda s: measure(s, unit), limit, 0)


def _split(text: str, size: Callable[[str], int], limit: int, level: int) -> list[str]:
    if size(text) <= limit:
        return [text]
    if level == len(_BREAKS):
        return _cut_characters(text, size, limit)
    sep = _BREAKS[level]
    pieces = [piece + sep for piece in text.split(sep)]
    pieces[-1] = pieces[-1][: -len(sep)]
    parts: list[str] = []
    current, current_size = "", 0
    for piece in filter(None, pieces):
        piece_size = size(piece)
        if current_size + piece_size <= limit:
            current, current_size = current + piece, current_size + piece_size
            continue
        if current:
            parts.append(current)
        if piece_size <= limit:
            current, current_size = piece, piece_size
        else:
            parts.extend(_split(piece, size, limit, level + 1))
            current, current_size = "", 0
    if current:
        parts.append(current)
    return parts


def _cut_characters(text: str, size: Callable[[str], int], limit: int) -> list[str]:
    parts: list[str] = []
    start, used = 0, 0
    for index, char in enumerate(text):
        width = size(char)
        if used + width > limit:
            parts.append(text[start:index])
            start, used = index, 0
        used += width
    parts.append(text[start:])
    return parts
