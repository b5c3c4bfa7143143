"""Turn a sloppy question into the tokens the index knows.

The same pipeline runs over the knowledge base and over every question, so
"三會一課是什麼？", "３会１课是啥" and "三会一课是什么" meet on the same tokens:
NFKC (full-width → half-width), traditional → simplified (OpenCC tables),
lower case, punctuation dropped, jieba with the party-building dictionary,
aliases mapped to one canonical term, stop words removed.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

_SPACES = re.compile(r"\s+")
ALIAS_FREQ = 20_000
_converter_lock = threading.Lock()


@cache
def _t2s() -> Any:
    import opencc  # imported lazily: only questions need it, not `zhibu --help`

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1024)
def simplify(text: str) -> str:
    """Full-width → half-width and traditional → simplified; keeps punctuation and case.

    Cached: routing, small talk and the search each ask for the same message's text, and the
    pure-Python OpenCC is the slow part; a string is converted once.
    """
    folded = unicodedata.normalize("NFKC", text)
    with _converter_lock:  # the reimplemented OpenCC keeps state while converting
        return str(_t2s().convert(folded))


class _PunctuationToSpace(dict[int, int]):
    """A ``str.translate`` table: punctuation, symbols and spaces → " ", anything else → itself.

    Each code point's category is looked up the first time it is seen; after that, translating a
    string stays in C instead of calling Python once per character.
    """

    def __missing__(self, code: int) -> int:
        category = unicodedata.category(chr(code))
        value = 32 if category[0] in "PS" or category == "Zs" else code
        if code < 0x40000:  # the planes in use (CJK included): at most that many entries
            self[code] = value
        return value


_PUNCTUATION_TO_SPACE = _PunctuationToSpace()


def normalize(text: str) -> str:
    """Simplified, half-width, lower-case text with punctuation turned into single spaces."""
    cleaned = simplify(text).lower().translate(_PUNCTUATION_TO_SPACE)
    return _SPACES.sub(" ", cleaned).strip()


@dataclass(frozen=True, slots=True)
class DictWord:
    word: str
    freq: int | None = None
    tag: str | None = None


@dataclass(frozen=True)
class Lexicon:
    """The shipped language data: words to keep whole, aliases, stop words."""

    words: tuple[DictWord, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)  # alias → canonical, both normalized
    stopwords: frozenset[str] = frozenset()

    def all_words(self) -> list[DictWord]:
        """Dictionary words plus every alias and canonical term, so each stays one token."""
        known = {w.word for w in self.words}
        extra = sorted(set(self.aliases) | set(self.aliases.values()) - known)
        # as strong as the dictionary's terms ("怎么算是" still cuts 怎么算|是); single characters stay weak
        return list(self.words) + [
            DictWord(w, ALIAS_FREQ if len(w) > 1 else None) for w in extra if w not in known
        ]

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for w in self.words:
            digest.update(f"{w.word}\t{w.freq}\t{w.tag}\n".encode())
        for alias, canonical in sorted(self.aliases.items()):
            digest.update(f"{alias}={canonical}\n".encode())
        digest.update("\n".join(sorted(self.stopwords)).encode())
        return digest.hexdigest()


def _squash(text: str) -> str:
    return normalize(text).replace(" ", "")


def read_userdict(path: Path) -> list[DictWord]:
    """jieba's format: ``词 [频率] [词性]`` one per line; # starts a comment."""
    words: list[DictWord] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        words.append(DictWord(_squash(parts[0]), freq, tag))
    return [w for w in words if w.word]


def read_synonyms(path: Path) -> dict[str, str]:
    """``canonical: [alias, ...]`` → {alias: canonical}; an alias listed twice is a data error."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    aliases: dict[str, str] = {}
    for canonical, names in raw.items():
        target = _squash(str(canonical))
        for name in names or []:
            alias = _squash(str(name))
            if alias in aliases and aliases[alias] != target:
                raise ValueError(
                    f"{path.name}: alias {name!r} is listed under both {aliases[alias]!r} and {target!r}"
                )
            if alias and alias != target:
                aliases[alias] = target
    return aliases


def read_stopwords(path: Path) -> frozenset[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(_squash(line) for line in lines if line)


def load_lexicon(data_dir: Path) -> Lexicon:
    """Read userdict.txt, synonyms.yaml and stopwords.txt; a missing file means none of that kind."""
    userdict, synonyms, stop = (
        data_dir / "userdict.txt",
        data_dir / "synonyms.yaml",
        data_dir / "stopwords.txt",
    )
    return Lexicon(
        words=tuple(read_userdict(userdict)) if userdict.exists() else (),
        aliases=read_synonyms(synonyms) if synonyms.exists() else {},
        stopwords=read_stopwords(stop) if stop.exists() else frozenset(),
    )


class Analyzer:
    """normalize → segment → aliases → stop words. ``cut`` is any segmenter of normalized text."""

    def __init__(self, lexicon: Lexicon, cut: Callable[[str], Iterable[str]]) -> None:
        self.lexicon = lexicon
        self._cut = cut

    def tokens(self, text: str) -> list[str]:
        aliases, stop = self.lexicon.aliases, self.lexicon.stopwords
        out: list[str] = []
        for token in self._cut(normalize(text)):
            token = token.strip()
            if not token:
                continue
            token = aliases.get(token, token)
            if token not in stop:
                out.append(token)
        return out
