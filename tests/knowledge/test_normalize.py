from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from storage.knowledge.base import KnowledgeBase
from storage.knowledge.normalize import normalize, simplify
from tests.knowledge.fixture_kb import USERDICT


def test_full_width_traditional_punctuation_and_case_are_folded() -> None:
    assert normalize("３會１課是什麼？？") == "3会1课是什么"
    assert normalize("  支委會，多久開一次!! ") == "支委会 多久开一次"
    assert normalize("ＡＢＣ党费") == "abc党费"
    assert simplify("黨費８０００元？") == "党费8000元?"


@given(st.text(max_size=40))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


def test_dictionary_terms_stay_whole(kb: KnowledgeBase) -> None:
    for line in USERDICT.splitlines():
        word = line.split()[0]
        for sentence in (f"请问{word}怎么办", f"{word}是啥", f"关于{word}"):
            assert word in kb.segmenter.cut(normalize(sentence)), (word, sentence, kb.segmenter.cut(sentence))


def test_aliases_become_the_canonical_term(kb: KnowledgeBase) -> None:
    tokens = kb.analyzer.tokens
    assert tokens("3会1课是啥") == tokens("三会一课是啥")
    assert tokens("支部委员会多久开一次") == tokens("支委会多久开一次")
    assert "支部党员大会" in tokens("党员大会")
    assert "咋" not in tokens("党费咋算")


def test_traditional_and_simplified_questions_give_the_same_tokens(kb: KnowledgeBase) -> None:
    assert kb.analyzer.tokens("三會一課是什麼？") == kb.analyzer.tokens("三会一课是什么")
    assert kb.analyzer.tokens("預備黨員的預備期多長") == kb.analyzer.tokens("预备党员的预备期多长")
