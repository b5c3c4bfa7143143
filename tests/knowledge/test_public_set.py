"""The shipped knowledge base against the public question set and the off-topic set (tests/data)."""

from __future__ import annotations

from pathlib import Path

import opencc
import pytest
from sqlalchemy import Engine

from bot.channels.console import ConsoleChannel
from bot.router import Router
from handlers.ask import Outcome
from tests.fakes.clock import FakeClock

DATA = Path(__file__).resolve().parents[1] / "data"
PASS_RATE = 0.97
WRONG_CONFIDENT_RATE = 0.02


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in (DATA / "questions.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            question, key, fact = line.split("\t")[:3]
            rows.append((question, key, fact))
    return rows


def _offtopic() -> list[str]:
    lines = (DATA / "offtopic.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ask_all(engine: Engine, clock: FakeClock, questions: list[str]) -> list[Outcome]:
    router = Router(engine, clock)
    outcomes = []
    for n, question in enumerate(questions):  # a fresh chat each, so no question picks from another's choices
        channel = ConsoleChannel(f"tester-{n}")
        outcomes.append(router.explain(channel.inbound(question, clock.now())))
    return outcomes


def _correct(outcome: Outcome, key: str, fact: str) -> bool:
    kind = "live" if key.startswith("live:") else "answer"
    return outcome.kind == kind and outcome.entry == key and fact in outcome.text


@pytest.mark.skipif(not (DATA / "questions.tsv").exists(), reason="no public question set")
def test_at_least_97_percent_of_the_public_set_is_answered_right(engine: Engine, clock: FakeClock) -> None:
    rows = _rows()
    outcomes = ask_all(engine, clock, [q for q, _, _ in rows])
    misses = [
        f"{q} → expected {key} ({fact}); got {o.kind} {o.entry} score={o.score}: {o.text[:40]}"
        for (q, key, fact), o in zip(rows, outcomes, strict=True)
        if not _correct(o, key, fact)
    ]
    rate = 1 - len(misses) / len(rows)
    assert rate >= PASS_RATE, f"{rate:.0%} right; misses:\n" + "\n".join(misses)


@pytest.mark.skipif(not (DATA / "questions.tsv").exists(), reason="no public question set")
def test_public_questions_are_rarely_answered_wrongly_with_confidence(
    engine: Engine, clock: FakeClock
) -> None:
    """A miss should be "你是不是想问" or the fallback, never another entry's answer given as right."""
    rows = _rows()
    outcomes = ask_all(engine, clock, [q for q, _, _ in rows])
    wrong = [
        f"{q} → expected {key}; answered {o.kind} {o.entry}"
        for (q, key, fact), o in zip(rows, outcomes, strict=True)
        if o.kind in ("answer", "live") and not _correct(o, key, fact)
    ]
    assert len(wrong) <= len(rows) * WRONG_CONFIDENT_RATE, "\n".join(wrong)


@pytest.mark.skipif(not (DATA / "offtopic.txt").exists(), reason="no off-topic set")
def test_off_topic_questions_never_get_a_confident_answer(engine: Engine, clock: FakeClock) -> None:
    questions = _offtopic()
    confident = [
        f"{q} → {o.kind} {o.entry} score={o.score}"
        for q, o in zip(questions, ask_all(engine, clock, questions), strict=True)
        if o.kind in ("answer", "live")
    ]
    assert not confident, "\n".join(confident)


@pytest.mark.skipif(not (DATA / "questions.tsv").exists(), reason="no public question set")
def test_the_public_set_in_traditional_characters_answers_alike(engine: Engine, clock: FakeClock) -> None:
    to_traditional = opencc.OpenCC("s2t")
    questions = [q for q, key, _ in _rows() if not key.startswith("live:")]
    traditional = [to_traditional.convert(q) for q in questions]
    assert sum(t != q for t, q in zip(traditional, questions, strict=True)) > len(questions) // 3
    simple = ask_all(engine, clock, questions)
    complex_ = ask_all(engine, clock, traditional)
    different = [
        f"{t}: {a.kind} {a.entry} vs {b.kind} {b.entry}"
        for t, a, b in zip(traditional, simple, complex_, strict=True)
        if (a.kind, a.entry) != (b.kind, b.entry)
    ]
    assert not different, "\n".join(different)
