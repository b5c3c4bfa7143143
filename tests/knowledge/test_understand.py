"""Reading a question as meant: pinyin typos of terms, English words, the asking clause of a long message."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.channels.console import ConsoleChannel
from bot.router import Router
from storage.knowledge.base import default_base
from tests.fakes.clock import FakeClock


def ask(engine: Engine, clock: FakeClock, text: str) -> tuple[str, str]:
    outcome = Router(engine, clock).explain(ConsoleChannel("someone").inbound(text, clock.now()))
    return outcome.kind, outcome.text


def test_a_homophone_typo_of_a_term_is_answered_and_the_reading_is_shown(
    engine: Engine, clock: FakeClock
) -> None:
    kind, text = ask(engine, clock, "三会一棵是什么")
    assert kind == "answer" and text.startswith("按“三会一课”理解") and "党小组会" in text
    kind, text = ask(engine, clock, "支为会多久开一次")
    assert kind == "answer" and "按“支委会”理解" in text and "每月" in text
    kind, text = ask(engine, clock, "预被期多久")
    assert kind == "answer" and "按“预备期”理解" in text and "1年" in text
    assert default_base().correct("党林")[0] == "党龄"  # n/l and in/ing are confused by pinyin typists


def test_only_domain_terms_are_corrected_never_everyday_words() -> None:
    kb = default_base()
    for text in ("今天天气怎么样", "时间怎么安排", "医保报销比例是多少", "主题党日是几号"):
        assert kb.correct(text) == (text, ())
    fixed, fixes = kb.correct("党小足会一个月开几次")  # not 党小组会议: a typo is one character off
    assert fixed == "党小组会一个月开几次" and [f.meant for f in fixes] == ["党小组会"]
    fixed, fixes = kb.correct("民主评以当员怎么搞")  # a long term may be two characters off
    assert fixed == "民主评议党员怎么搞" and [f.said for f in fixes] == ["民主评以当员"]


def test_english_words_are_read_as_the_domain_terms(engine: Engine, clock: FakeClock) -> None:
    kind, text = ask(engine, clock, "what is 三会一课")
    assert kind == "answer" and "党小组会" in text
    kind, text = ask(engine, clock, "how often 支委会")
    assert kind == "answer" and "每月" in text
    assert default_base().translate("political birthday 是啥意思") == "政治生日 是啥意思"


def test_a_long_message_is_answered_by_the_clause_that_asks(engine: Engine, clock: FakeClock) -> None:
    kind, text = ask(
        engine,
        clock,
        "打扰了书记，最近在整理材料，领导让我写一个关于三会一课的说明，我记不清了，支委会到底多久开一次来着",
    )
    assert kind == "answer" and "每月" in text


def test_standard_and_ratio_of_dues_are_one_thing_in_any_script(engine: Engine, clock: FakeClock) -> None:
    for question in ("黨費標準是多少", "党费交费标准是多少"):
        kind, text = ask(engine, clock, question)
        assert kind == "answer" and "0.5%" in text and "2%" in text, question


def test_phone_and_payment_app_words_stay_whole_and_mean_paying_online(
    engine: Engine, clock: FakeClock
) -> None:
    kb = default_base()
    assert kb.analyzer.tokens("微信群里签到") == ["微信群", "里", "签到"]
    for question in ("党费can用支付宝交吗", "党费可以微信支付吗", "组织关系能网上转吗"):
        kind, text = ask(engine, clock, question)
        assert kind == "answer" and ("线上" in text or "在线" in text), (question, text)
