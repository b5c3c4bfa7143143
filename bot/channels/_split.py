"""Cut a long message into parts that each fit one platform message, measured in the platform's unit.

WeChat and WeCom count UTF-8 bytes (one Chinese character is 3 bytes), Telegram
counts characters as UTF-16 code units (an emoji outside the BMP is 2). Each
part is filled as far as the limit allows, then cut at the best place in its
second half: a paragraph break, a line break, the end of a sentence or clause,
a space, and only then between two characters. A cut never falls inside a
markdown or HTML construct (link, bold, inline code, tag, entity, ``<font>``)
that could fit in one part, nor between a character and the combining mark,
variation selector or joiner that belongs to it. Joining the parts gives back
the original text exactly.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate
from typing import Literal

Unit = Literal["utf8", "chars", "utf16"]
Markup = Literal["markdown", "html"]

_BREAKS = ("\n\n", "\n", "。", "！", "？", "；", "，", " ")

_MARKDOWN = re.compile(
    r"```.*?```"  # fenced code
    r"|`[^`\n]+`"  # inline code
    r"|!?\[[^\]\n]*\]\([^)\n]*\)"  # link or image
    r"|\*\*[^*\n]+\*\*|__[^_\n]+__"  # bold
    r"|<font\b[^>]*>.*?</font>"  # WeCom coloured text
    r"|<@[^>\n]+>",  # WeCom mention
    re.DOTALL,
)
_HTML = re.compile(r"<(b|strong|i|em|u|s|a|code|pre|tg-spoiler)\b[^>]*>.*?</\1>|<[^>\n]*>|&#?\w+;", re.DOTALL)
_JOINERS = {"\u200d", "\u20e3"}  # zero-width joiner, combining keycap


def measure(text: str, unit: Unit) -> int:
    """The length of ``text`` as the platform counts it."""
    if unit == "utf8":
        return len(text.encode("utf-8", "surrogatepass"))
    if unit == "utf16":
        return len(text.encode("utf-16-le", "surrogatepass")) // 2
    return len(text)


def split_message(text: str, unit: Unit, limit: int, *, markup: Markup | None = None) -> list[str]:
    """Parts of ``text`` no longer than ``limit`` ``unit``s each; [] for an empty text."""
    if limit < 4:
        raise ValueError("limit must leave room for at least one character")
    if not text:
        return []
    if measure(text, unit) <= limit:  # the usual case, and on every webhook's path: no cut to look for
        return [text]
    offsets = [0, *accumulate(_width(char, unit) for char in text)]
    allowed = _allowed_cuts(text, markup)
    parts: list[str] = []
    start = 0
    while start < len(text):
        end = bisect_right(offsets, offsets[start] + limit) - 1
        if end >= len(text):
            parts.append(text[start:])
            break
        cut = _best_cut(text, start, end, allowed)
        parts.append(text[start:cut])
        start = cut
    return parts


def _width(char: str, unit: Unit) -> int:
    if unit == "utf8":
        return len(char.encode("utf-8", "surrogatepass"))
    if unit == "utf16":
        return 2 if ord(char) > 0xFFFF else 1
    return 1


def _allowed_cuts(text: str, markup: Markup | None) -> list[bool]:
    """allowed[i]: may a part end before text[i]?"""
    allowed = [True] * (len(text) + 1)
    for index in range(1, len(text)):
        char, previous = text[index], text[index - 1]
        if (
            unicodedata.combining(char)
            or char in _JOINERS
            or previous in _JOINERS
            or "\ufe00" <= char <= "\ufe0f"  # variation selectors
            or ("\ud800" <= previous <= "\udbff" and "\udc00" <= char <= "\udfff")  # a surrogate pair
            or (previous == "\r" and char == "\n")
        ):
            allowed[index] = False
    pattern = {"markdown": _MARKDOWN, "html": _HTML}.get(markup or "")
    if pattern is not None:
        for match in pattern.finditer(text):
            for index in range(match.start() + 1, match.end()):
                allowed[index] = False
    return allowed


def _best_cut(text: str, start: int, end: int, allowed: list[bool]) -> int:
    """Where the part text[start:end] ends: the best allowed break, else the last allowed cut."""
    middle = start + max(1, (end - start) // 2)
    for lowest in (middle, start + 1):
        for sep in _BREAKS:
            cut = _last_break(text, sep, lowest, end, allowed)
            if cut:
                return cut
    for cut in range(end, start, -1):
        if allowed[cut]:
            return cut
    return end  # a construct longer than a whole part: it has to be cut somewhere


def _last_break(text: str, sep: str, lowest: int, end: int, allowed: list[bool]) -> int:
    """The last cut right after ``sep`` in [lowest, end] that is allowed; 0 when none."""
    position = text.rfind(sep, 0, end)
    while position != -1 and position + len(sep) >= lowest:
        cut = position + len(sep)
        if allowed[cut]:
            return cut
        position = text.rfind(sep, 0, position)
    return 0
