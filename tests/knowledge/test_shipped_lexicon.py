"""The shipped dictionary and alias table, through the real pipeline."""

from __future__ import annotations

import pytest

from storage.knowledge.base import KnowledgeBase, default_base
from storage.knowledge.normalize import normalize


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    base = default_base()
    if not base.lexicon.words:
        pytest.skip("no shipped dictionary")
    return base


def test_every_dictionary_term_stays_whole(shipped: KnowledgeBase) -> None:
    broken = []
    for word in (w.word for w in shipped.lexicon.words):
        for sentence in (f"请问{word}怎么办", f"{word}是啥", f"关于{word}的规定"):
            if word not in shipped.segmenter.cut(normalize(sentence)):
                broken.append(f"{word}: {shipped.segmenter.cut(normalize(sentence))}")
                break
    assert not broken, "\n".join(broken)


def test_every_alias_reaches_the_same_tokens_as_its_term(shipped: KnowledgeBase) -> None:
    tokens = shipped.analyzer.tokens
    wrong = [
        f"{alias} → {tokens(alias)} but {canonical} → {tokens(canonical)}"
        for alias, canonical in shipped.lexicon.aliases.items()
        if tokens(f"{alias}有啥规定") != tokens(f"{canonical}有啥规定")
    ]
    assert not wrong, "\n".join(wrong)


def test_every_alias_reaches_the_same_entry(shipped: KnowledgeBase) -> None:
    different = []
    for alias, canonical in shipped.lexicon.aliases.items():
        if canonical in shipped.lexicon.stopwords:
            continue
        mine, theirs = shipped.search(f"{alias}是什么").hits, shipped.search(f"{canonical}是什么").hits
        if [f.entry.key for f in mine[:1]] != [f.entry.key for f in theirs[:1]]:
            different.append(f"{alias} / {canonical}")
    assert not different, "\n".join(different)
