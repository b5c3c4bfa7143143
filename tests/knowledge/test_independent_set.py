"""The independent question set (tests/data/independent.tsv), asked in the branch of question_sets.py."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.fakes.clock import FakeClock
from tests.knowledge.question_sets import CONFIDENT, NOT_CONFIDENT, ask_all, build_branch, independent_set

PASS_RATE = 0.93


def test_the_independent_set_is_answered_with_the_facts_it_needs(engine: Engine, clock: FakeClock) -> None:
    questions = independent_set()
    assert len(questions) >= 150
    build_branch(engine)
    outcomes = ask_all(engine, clock, questions)
    misses = [
        f"[{q.asker}] {q.text} → {o.kind} {o.entry}: {o.text[:50]!r}"
        for q, o in zip(questions, outcomes, strict=True)
        if not q.right(o)
    ]
    rate = 1 - len(misses) / len(questions)
    assert rate >= PASS_RATE, f"{rate:.1%} right; misses:\n" + "\n".join(misses)
    off_topic = [
        q.text
        for q, o in zip(questions, outcomes, strict=True)
        if q.facts == ((NOT_CONFIDENT,),) and o.kind in CONFIDENT
    ]
    assert not off_topic
