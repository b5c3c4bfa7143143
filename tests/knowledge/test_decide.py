"""When the answerer may be confident: the policy on ranked hits, without any data."""

from __future__ import annotations

from handlers.ask import DEFAULT_POLICY, choices, chosen, decide
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
    assert decide([hit("a", 10.0, coverage=0.4, fit=0.5)], DEFAULT_POLICY) == "suggestions"
    assert decide([hit("a", 10.0, coverage=0.2)], DEFAULT_POLICY) == "fallback"


def test_in_a_near_tie_the_entry_the_question_says_fully_is_answered() -> None:
    # 党龄怎么算的: "延长了预备期，党龄怎么算" scores a little higher, "党龄从什么时候算" is what it says
    hits = [hit("extended", 10.8, fit=0.49), hit("old", 9.9, fit=0.35), hit("standing", 9.85, fit=1.0)]
    assert chosen(hits, DEFAULT_POLICY, terms=2) is hits[2]
    # but not when another entry fits nearly as well, or when it is well behind
    assert chosen([hit("a", 10.0, fit=1.0), hit("b", 9.5, fit=0.8)], DEFAULT_POLICY) is None
    assert chosen([hit("a", 10.0, fit=0.4), hit("b", 8.0, fit=1.0)], DEFAULT_POLICY).entry.key == "a"


def test_a_word_the_base_does_not_know_does_not_hide_a_clear_answer() -> None:
    # 三会一课是啥玩意儿: 玩意儿 is in no entry, so the coverage is low, but the question says 三会一课是什么
    hits = [hit("what", 7.3, coverage=0.4, fit=1.0), hit("how-often", 7.0, coverage=0.4, fit=0.52)]
    assert decide(hits, DEFAULT_POLICY, terms=2) == "answer"


def test_an_entry_ahead_on_everyday_words_only_does_not_block_the_one_on_topic() -> None:
    hits = [hit("dues", 12.5, coverage=0.77, fit=0.4, on_topic=False), hit("leaving", 11.2, coverage=0.76)]
    assert chosen(hits, DEFAULT_POLICY) is hits[1]


def test_an_entry_covering_much_more_of_the_question_wins_a_close_score() -> None:
    hits = [hit("kinds", 10.2, coverage=1.0, fit=0.43), hit("watch", 9.5, coverage=0.54, fit=0.59)]
    assert chosen(hits, DEFAULT_POLICY) is hits[0]
