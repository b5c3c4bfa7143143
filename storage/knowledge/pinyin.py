"""Homophone typos of the domain vocabulary: 三会一棵 → 三会一课, 支为会 → 支委会, 党林 → 党龄.

Members type with pinyin input methods, so their typos sound like the word they meant. The
party-building terms (the user dictionary and the aliases of its terms) are indexed by their
tone-less pinyin with fuzzy initials and finals (z/zh, c/ch, s/sh, n/l, an/ang, en/eng, in/ing);
a run of the question that sounds like a term, differs from it in one character (two in a long one)
and is not itself a word of the everyday dictionary is read as that term. Ordinary words are never
rewritten: only the domain vocabulary is indexed. pypinyin is imported on the first correction, not
at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"))
MAX_TERM = 8


@cache
def _pinyin() -> Any:
    import pypinyin  # 0.3 s to import: only when a question needs correcting

    return pypinyin


def fuzzy(syllable: str) -> str:
    """One key for the syllables a pinyin typist confuses."""
    for spoken, key in _FUZZY_INITIALS:
        if syllable.startswith(spoken):
            syllable = key + syllable[len(spoken) :]
            break
    return syllable[:-1] if syllable.endswith("ng") and len(syllable) > 2 else syllable


def sound(text: str) -> tuple[str, ...]:
    pinyin = _pinyin()
    return tuple(fuzzy(s) for s in pinyin.lazy_pinyin(text, style=pinyin.Style.NORMAL, errors="ignore"))


def _typos(length: int) -> int:
    """How many characters of a term of this length a typo of it may get wrong."""
    return 1 if length < 6 else 2


def _pieces(text: str) -> list[tuple[int, int, str]]:
    """``text`` cut into ``_typos + 1`` pieces, each keyed by the text's length and its place."""
    size, parts = len(text), _typos(len(text)) + 1
    bounds = [n * size // parts for n in range(parts + 1)]
    return [(size, n, text[bounds[n] : bounds[n + 1]]) for n in range(parts)]


@dataclass(frozen=True, slots=True)
class Correction:
    said: str
    meant: str


class PinyinIndex:
    """The domain terms by sound; built on the first question that needs it."""

    def __init__(self, terms: Iterable[str], *, known: Callable[[str], bool]) -> None:
        self._terms = frozenset(t for t in terms if 2 <= len(t) <= MAX_TERM and _HAN_RUN.fullmatch(t))
        self._known = known  # an everyday word: never rewritten
        self._by_sound: dict[tuple[str, ...], list[str]] | None = None
        self._by_piece: dict[tuple[int, int, str], list[str]] = {}
        for term in self._terms:
            for piece in _pieces(term):
                self._by_piece.setdefault(piece, []).append(term)

    def _index(self) -> dict[tuple[str, ...], list[str]]:
        if self._by_sound is None:
            by_sound: dict[tuple[str, ...], list[str]] = {}
            for term in sorted(self._terms):
                by_sound.setdefault(sound(term), []).append(term)
            self._by_sound = by_sound
        return self._by_sound

    def _near(self, window: str) -> bool:
        """Some term of the same length differs from ``window`` in no more characters than a typo may.

        Cheap, and only then is the window's pinyin worth computing (pypinyin costs ~50 µs a call,
        and a question has dozens of windows). Its typo allowance spread over ``allowance + 1`` pieces
        leaves one piece unchanged, so looking the pieces up finds every such term."""
        allowance = _typos(len(window))
        for piece in _pieces(window):
            for term in self._by_piece.get(piece, ()):
                if sum(a != b for a, b in zip(window, term, strict=True)) <= allowance:
                    return True
        return False

    def _meant(self, window: str) -> str | None:
        """The one term this run of characters sounds like, when it is a plausible typo of it."""
        if not self._near(window):
            return None
        candidates = self._index().get(sound(window), [])
        best: tuple[int, str] | None = None
        for term in candidates:
            same = sum(a == b for a, b in zip(window, term, strict=True))
            if len(term) - same > _typos(len(term)):  # a typo, not another word
                continue
            if best is not None and best[0] == same:
                return None  # two terms fit as well: do not guess
            if best is None or same > best[0]:
                best = (same, term)
        return best[1] if best else None

    def correct(self, text: str) -> tuple[str, tuple[Correction, ...]]:
        """``text`` with typos of domain terms replaced, and what was replaced (longest runs first)."""
        fixes: list[Correction] = []

        def fix_run(match: re.Match[str]) -> str:
            run, out, i = match.group(0), [], 0
            while i < len(run):
                for size in range(min(MAX_TERM, len(run) - i), 1, -1):
                    window = run[i : i + size]
                    if window in self._terms:
                        out.append(window)
                        break
                    if self._known(window):
                        continue
                    meant = self._meant(window)
                    if meant is not None:
                        fixes.append(Correction(window, meant))
                        out.append(meant)
                        break
                else:
                    out.append(run[i])
                    i += 1
                    continue
                i += len(out[-1])
            return "".join(out)

        fixed = _HAN_RUN.sub(fix_run, text)
        return fixed, tuple(fixes)
