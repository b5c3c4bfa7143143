from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.core.messages import Inbound
from handlers import ask
from handlers.context import HandlerContext
from storage.db import session_scope
from storage.knowledge.base import KnowledgeBase
from storage.knowledge.entries import Entry, save_local
from storage.models import Member
from storage.orgs import get_or_create
from tests.fakes.clock import FakeClock


def ctx_for(session: Session, text: str, clock: FakeClock, asker: Member | None = None) -> HandlerContext:
    inbound = Inbound(
        channel="console", account="local", chat_id="c1", sender_id="u1", text=text, received_at=clock.now()
    )
    return HandlerContext(session=session, inbound=inbound, now=clock.now(), asker=asker)


def test_a_clear_question_gets_the_answer_and_its_source(
    kb: KnowledgeBase, engine: Engine, clock: FakeClock
) -> None:
    with session_scope(engine) as session:
        outcome = ask.resolve(ctx_for(session, "支委会一般多久开一次啊", clock), base=kb)
    assert outcome.kind == "answer" and outcome.entry == "committee-frequency"
    assert "每月召开1次" in outcome.text and "依据：支部工作条例 第十二条" in outcome.text


def test_traditional_chinese_answers_like_simplified(
    kb: KnowledgeBase, engine: Engine, clock: FakeClock
) -> None:
    with session_scope(engine) as session:
        trad = ask.resolve(ctx_for(session, "三會一課是什麼？", clock), base=kb)
        simp = ask.resolve(ctx_for(session, "三会一课是什么？", clock), base=kb)
    assert trad == simp and trad.kind == "answer" and trad.entry == "sanhui-yike"


def test_off_topic_gets_the_friendly_fallback(kb: KnowledgeBase, engine: Engine, clock: FakeClock) -> None:
    with session_scope(engine) as session:
        for text in ("今天天气怎么样", "推荐一部电影", "你好"):
            outcome = ask.resolve(ctx_for(session, text, clock), base=kb)
            assert outcome.kind == "fallback", (text, outcome)
            assert "三会一课是什么" in outcome.text


def test_a_vague_question_offers_numbered_choices_and_a_number_picks_one(
    kb: KnowledgeBase, engine: Engine, clock: FakeClock
) -> None:
    with session_scope(engine) as session:
        offered = ask.resolve(ctx_for(session, "主题党日", clock), base=kb)
    assert offered.kind == "suggestions", offered
    assert offered.text.startswith("你是不是想问") and "1. " in offered.text and "2. " in offered.text
    second_question = offered.text.splitlines()[2].split(". ", 1)[1]
    with session_scope(engine) as session:
        picked = ask.resolve_pick(ctx_for(session, "２", clock), base=kb)
    assert picked.kind == "answer"
    assert picked.entry == next(e.key for e in kb.builtin()[0] if e.question == second_question)
    with session_scope(engine) as session:  # the choices are used up
        again = ask.resolve_pick(ctx_for(session, "2", clock), base=kb)
    assert again.kind == "fallback"


def test_choices_expire(kb: KnowledgeBase, engine: Engine, clock: FakeClock) -> None:
    with session_scope(engine) as session:
        assert ask.resolve(ctx_for(session, "主题党日", clock), base=kb).kind == "suggestions"
    clock.advance(ask.DEFAULT_POLICY.choices_ttl + timedelta(minutes=1))
    with session_scope(engine) as session:
        assert ask.resolve_pick(ctx_for(session, "1", clock), base=kb).kind == "fallback"


def test_a_local_answer_says_it_comes_from_the_branch(
    kb: KnowledgeBase, engine: Engine, clock: FakeClock
) -> None:
    with session_scope(engine) as session:
        branch, _ = get_or_create(session, name="第一党支部", kind="党支部", parent_id=None)
        save_local(
            session,
            entry=Entry(
                key="theme-day-date",
                question="本支部主题党日定在哪天？",
                answer="每月5日上午。",
                alternatives=("主题党日哪天",),
                org_id=branch.id,
            ),
        )
        member = Member(name="张三", org_id=branch.id, joined_on=clock.now().date().replace(year=2010))
        session.add(member)
        session.flush()
        outcome = ask.resolve(ctx_for(session, "咱们主题党日定在哪天", clock, asker=member), base=kb)
    assert outcome.kind == "answer" and "每月5日上午" in outcome.text and "本支部" in outcome.text
