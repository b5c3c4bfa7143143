"""Questions about the asker and the branch are answered from the records on file (handlers/personal.py)."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.channels.console import ConsoleChannel
from bot.router import Router
from tests.fakes.clock import FakeClock
from tests.knowledge.question_sets import build_branch


def say(engine: Engine, clock: FakeClock, who: str, text: str) -> tuple[str, str]:
    outcome = Router(engine, clock).explain(ConsoleChannel(who).inbound(text, clock.now()))
    return outcome.kind, outcome.text


def test_years_since_joining_and_party_standing_come_from_the_members_dates(
    engine: Engine, clock: FakeClock
) -> None:
    build_branch(engine)
    kind, text = say(engine, clock, "党员", "我入党几年了")  # not the 积极分子→转正 timeline
    assert kind == "live" and "2015年11月28日入党" in text and "满10年" in text and "党龄9年" in text
    kind, text = say(engine, clock, "预备", "我入党几年了")
    assert "预备党员" in text and "2027年3月1日" in text
    assert "绑定" in say(engine, clock, "stranger", "我入党几年了")[1]


def test_a_probationary_member_hears_her_own_dates_and_the_steps(engine: Engine, clock: FakeClock) -> None:
    build_branch(engine)
    for question in ("我预备期啥时候满", "我什么时候能转正", "我的预备期还有多久"):
        kind, text = say(engine, clock, "预备", question)
        assert kind == "live" and "2027年3月1日" in text and "98天" in text, question
        assert "2027年2月1日" in text and "支部大会" in text and "3个月" in text
    kind, text = say(engine, clock, "党员", "我什么时候转正的")
    assert "2016年12月1日" in text


def test_who_holds_a_branch_office_comes_from_the_roster(engine: Engine, clock: FakeClock) -> None:
    build_branch(engine)
    kind, text = say(engine, clock, "党员", "支部书记是谁")
    assert kind == "live" and "书记：王书记" in text and "组织委员 孙组织" in text
    assert "孙组织" in say(engine, clock, "党员", "组织委员是谁")[1]
    assert "王书记" in say(engine, clock, "党员", "who is our party secretary")[1]
    assert "绑定" in say(engine, clock, "stranger", "支部书记是谁")[1]
    kind, _ = say(engine, clock, "党员", "支部书记是谁选的")  # a question about the rule
    assert kind != "live"


def test_this_and_next_weeks_meetings(engine: Engine, clock: FakeClock) -> None:
    build_branch(engine)
    kind, text = say(engine, clock, "党员", "这周有啥活动")
    assert kind == "live" and "11月26日（周四）15:00 支委会" in text and "12月4日" not in text
    kind, text = say(engine, clock, "党员", "下周主题党日几号")
    assert "12月4日（周五）09:00 主题党日" in text
    kind, text = say(engine, clock, "党员", "下周有党课吗")
    assert "还没有安排党课" in text and "每月1次" in text


def test_my_attendance_this_year(engine: Engine, clock: FakeClock) -> None:
    build_branch(engine)
    kind, text = say(engine, clock, "党员", "我今年缺席了几次组织生活")
    assert kind == "live" and "出席1次" in text and "缺席1次" in text and "自行脱党" in text


def test_english_and_colloquial_incomes_reach_the_dues_calculator(engine: Engine, clock: FakeClock) -> None:
    for question, fee in (
        ("how much party fee if my salary is 10000 after tax", "150元"),
        ("月薪2万5交多少党费", "500元"),
        ("我工资8k一个月党费多少", "120元"),
        ("税前1万2税后1万，党费交多少", "150元"),
    ):
        kind, text = say(engine, clock, "someone", question)
        assert kind == "live" and fee in text, question
