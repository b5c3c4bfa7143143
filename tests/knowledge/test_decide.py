"""When the answerer may be confident: the policy on ranked hits, without any data."""

from __future__ import annotations

from handlers.ask import DEFAULT_POLICY, choices, decide
from storage.knowledge.base import Found
from storage.knowledge.entries import Entry


def hit(key: str, score: float, coverage: float = 1.0, fit: float = 1.0, on_topic: bool = True) -> Found:
    return Found(Entry(key=key, question=f"{key}?", answer="..."), score, coverage, fit, on_topic)


def test_a_clear_winner_is_answered() -> None:
    assert decide([hit("a", 10.0), hit("b", 5.0, fit=0.4)], DEFAULT_POLICY, terms=3) == "answer"


def test_a_near_tie_that_fits_as_well_is_offered_as_choices() -> None:
    hits = [hit("a", 7.5), hit("b", 6.8)]
    assert decide(hits, DEFAULT_POLICY, terms=2) == "suggestions"
    assert [f.entry.key for f in choices(hits, DEFAULT_POLICY)] == ["a", "b"]


def test_a_runner_up_that_only_shares_everyday_words_does_not_make_it_ambiguous() -> None:
    assert (
        decide([hit("a", 21.6), hit("b", 20.1, coverage=0.9, fit=0.75, on_topic=False)], DEFAULT_POLICY)
        == "answer"
    )


def test_a_one_word_question_needs_an_entry_about_just_that_word() -> None:
    assert (
        decide([hit("a", 3.8, fit=0.36), hit("b", 3.8, fit=0.23)], DEFAULT_POLICY, terms=1) == "suggestions"
    )
    assert decide([hit("a", 5.6, fit=1.0), hit("b", 5.4, fit=0.33)], DEFAULT_POLICY, terms=1) == "answer"


def test_everyday_words_alone_never_answer_and_are_not_offered() -> None:
    assert decide([hit("a", 3.5, on_topic=False)], DEFAULT_POLICY, terms=1) == "fallback"
    assert decide([], DEFAULT_POLICY) == "fallback"


def test_half_the_question_unmatched_is_not_enough() -> None:
    assert decide([hit("a", 10.0, coverage=0.4)], DEFAULT_POLICY) == "suggestions"
    assert decide([hit("a", 10.0, coverage=0.2)], DEFAULT_POLICY) == "fallback"
