"""The shipped knowledge data is well-formed: the answerer and its tests depend on these files.

Only yaml and the standard library here, so the data can be checked without the engine.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "storage" / "knowledge" / "data"
TESTS_DATA = ROOT / "tests" / "data"
REQUIRED = ("key", "question", "alternatives", "keywords", "answer", "source")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LIVE_KEYS = {"live:dues", "live:birthday", "live:standing", "live:next-meeting", "live:guide"}
MAX_ANSWER_CHARS = 260
MIN_ENTRIES = 150
MIN_QUESTIONS = 80


def _entries() -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    for path in sorted((DATA / "kb").glob("*.yaml")):
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(loaded, list), f"{path.name} must be a YAML list"
        entries.extend(loaded)
    return entries


ENTRIES = _entries()
KEYS = {str(entry["key"]) for entry in ENTRIES}


def test_the_base_has_at_least_150_entries_with_unique_keys() -> None:
    keys = [entry["key"] for entry in ENTRIES]
    assert len(keys) >= MIN_ENTRIES
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: str(e.get("key")))
def test_every_entry_follows_the_schema(entry: dict[str, object]) -> None:
    assert set(REQUIRED) <= set(entry), f"missing {set(REQUIRED) - set(entry)}"
    assert SLUG.match(str(entry["key"]))
    for field in ("question", "answer", "source"):
        assert isinstance(entry[field], str) and entry[field].strip()
    alternatives, keywords = entry["alternatives"], entry["keywords"]
    assert isinstance(alternatives, list) and 3 <= len(alternatives) <= 8
    assert all(isinstance(a, str) and a.strip() for a in alternatives)
    assert len(set(alternatives)) == len(alternatives)
    assert isinstance(keywords, list) and keywords
    assert all(isinstance(k, str) and k.strip() for k in keywords)
    assert len(str(entry["answer"])) <= MAX_ANSWER_CHARS


def test_no_phrasing_is_claimed_by_two_entries() -> None:
    owner: dict[str, str] = {}
    for entry in ENTRIES:
        for text in [entry["question"], *entry["alternatives"]]:  # type: ignore[misc]
            normal = re.sub(r"[\s？?！!，,。.]", "", str(text))
            assert owner.setdefault(normal, str(entry["key"])) == entry["key"], normal


def _question_rows() -> list[list[str]]:
    lines = (TESTS_DATA / "questions.tsv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


def test_the_public_question_set_points_at_real_entries() -> None:
    rows = _question_rows()
    assert len(rows) >= MIN_QUESTIONS
    for row in rows:
        assert len(row) == 3 and all(cell.strip() for cell in row), row
        _question, key, fact = row
        assert key in KEYS or key in LIVE_KEYS, row
        if key in KEYS:
            answer = next(str(e["answer"]) for e in ENTRIES if e["key"] == key)
            assert fact in answer, f"{key}: {fact!r} is not in its answer"


def test_offtopic_lines_are_enough_and_not_in_the_base() -> None:
    lines = [x.strip() for x in (TESTS_DATA / "offtopic.txt").read_text(encoding="utf-8").splitlines()]
    offtopic = [x for x in lines if x and not x.startswith("#")]
    assert len(offtopic) >= 30
    phrasings = {str(t) for e in ENTRIES for t in [e["question"], *e["alternatives"]]}  # type: ignore[misc]
    assert not phrasings & set(offtopic)


def test_userdict_lines_are_valid_jieba_entries() -> None:
    text = (DATA / "userdict.txt").read_text(encoding="utf-8")
    lines = [x for x in text.splitlines() if x.strip() and not x.startswith("#")]  # the reader skips comments
    words = []
    for line in lines:
        parts = line.split(" ")
        assert len(parts) == 3 and parts[1].isdigit() and parts[2].isalpha(), line
        words.append(parts[0])
    assert len(set(words)) == len(words) >= 200
    for term in (
        "三会一课",
        "主题党日",
        "政治生日",
        "组织生活会",
        "民主评议党员",
        "预备党员",
        "入党积极分子",
        "发展对象",
        "党费",
        "支委会",
        "党小组会",
        "组织关系转接",
        "双报到",
        "光荣在党50年",
    ):
        assert term in words


def test_every_alias_belongs_to_exactly_one_canonical_term() -> None:
    table = yaml.safe_load((DATA / "synonyms.yaml").read_text(encoding="utf-8"))
    assert isinstance(table, dict) and len(table) >= 60
    seen: dict[str, str] = {}
    for canonical, aliases in table.items():
        assert isinstance(aliases, list) and aliases, canonical
        for alias in aliases:
            assert isinstance(alias, str) and alias != canonical and alias not in table, alias
            assert seen.setdefault(alias, canonical) == canonical, alias


def test_stop_words_keep_the_words_that_carry_the_question() -> None:
    words = {
        x.strip() for x in (DATA / "stopwords.txt").read_text(encoding="utf-8").splitlines() if x.strip()
    }
    assert len(words) >= 120
    assert not words & {"多久", "什么时候", "怎么", "谁", "几", "多少", "哪天", "党费", "不", "没有"}
