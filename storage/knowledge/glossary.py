"""English words in a Chinese question, read as the domain's Chinese (data/glossary.yaml).

"how much party fee if my salary is 10000 after tax" → "多少 党费 我的 工资 10000 税后", so the
same answer and the same live answers reach a member who mixes English in. Only whole English words
are replaced; a question without two Latin letters in a row is returned as it is, without the table.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

_LATIN = re.compile(r"[A-Za-z]{2}")
_SPACES = re.compile(r"\s+")


@cache
def _table(path: Path) -> tuple[re.Pattern[str], dict[str, str]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    meaning = {str(en).lower(): str(zh or "") for zh, names in raw.items() for en in names or []}
    phrases = sorted(meaning, key=len, reverse=True)
    pattern = re.compile(r"(?<![a-z])(?:" + "|".join(map(re.escape, phrases)) + r")(?![a-z])", re.IGNORECASE)
    return pattern, meaning


def translate(text: str, path: Path) -> str:
    """``text`` with the glossary's English words and phrases in Chinese."""
    if not _LATIN.search(text):
        return text
    pattern, meaning = _table(path)
    spaced = pattern.sub(lambda m: f" {meaning[m.group(0).lower()]} ", text)
    return _SPACES.sub(" ", spaced).strip()
