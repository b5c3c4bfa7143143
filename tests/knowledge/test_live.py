from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine

from bot.channels.console import ACCOUNT, CHANNEL, ConsoleChannel
from bot.core.clock import SHANGHAI
from bot.router import Router
from storage.db import session_scope
from storage.meetings import create_meeting
from storage.members import bind_identity
from storage.models import Guide, GuideItem, Member, MemberStatus, Role
from storage.orgs import get_or_create
from tests.fakes.clock import FakeClock


def _world(engine: Engine) -> dict[str, int]:
    """A 党工委 with two branches; a secretary and two members in the first."""
    with session_scope(engine) as session:
        top, _ = get_or_create(session, name="某街道党工委", kind="党工委", parent_id=None)
        first, _ = get_or_create(session, name="第一党支部", kind="党支部", parent_id=top.id)
        second, _ = get_or_create(session, name="第二党支部", kind="党支部", parent_id=top.id)
        people = {
            "书记": Member(
                name="王书记",
                org_id=first.id,
                role=Role.SECRETARY,
                joined_on=date(1998, 11, 5),
                full_on=date(1999, 11, 5),
            ),
            "党员": Member(
                name="李党员", org_id=first.id, joined_on=date(2015, 11, 28), full_on=date(2016, 12, 1)
            ),
            "预备": Member(
                name="赵预备", org_id=first.id, joined_on=date(2026, 3, 1), status=MemberStatus.PROBATIONARY
            ),
            "外支部": Member(name="钱外", org_id=second.id, joined_on=date(2001, 11, 20)),
        }
        ids: dict[str, int] = {"top": top.id or 0, "first": first.id or 0, "second": second.id or 0}
        for label, member in people.items():
            member.sync_join_md()
            session.add(member)
            session.flush()
            bind_identity(session, member=member, channel=CHANNEL, account=ACCOUNT, external_id=label)
            ids[label] = member.id or 0
    return ids


def say(engine: Engine, clock: FakeClock, who: str, text: str) -> str:
    router = Router(engine, clock)
    return "\n".join(r.text for r in router.handle(ConsoleChannel(who).inbound(text, clock.now())))


def test_political_birthday_and_standing_of_the_asker(engine: Engine, clock: FakeClock) -> None:
    _world(engine)
    birthday = say(engine, clock, "党员", "我的政治生日是哪天")
    assert (
        "2015年11月28日" in birthday
        and "2026年11月28日" in birthday
        and "11" in birthday
        and "5天" in birthday
    )
    standing = say(engine, clock, "党员", "我党龄几年了")
    assert "2016年12月1日" in standing and "党龄9年" in standing and "2026年12月1日满10年" in standing
    probation = say(engine, clock, "预备", "我的党龄")
    assert "预备党员" in probation and "2027年3月1日" in probation
    assert "绑定" in say(engine, clock, "stranger", "我的党龄")


def test_next_meeting_of_the_askers_branch(engine: Engine, clock: FakeClock) -> None:
    ids = _world(engine)
    with session_scope(engine) as session:
        start = datetime(2026, 12, 3, 15, 0, tzinfo=SHANGHAI)
        create_meeting(
            session,
            org_id=ids["first"],
            kind="支委会",
            starts_at=start,
            place="社区三楼会议室",
            topic="研究年度民主评议",
        )
        create_meeting(session, org_id=ids["first"], kind="党课", starts_at=start + timedelta(days=9))
        create_meeting(session, org_id=ids["second"], kind="支委会", starts_at=start - timedelta(days=1))
    reply = say(engine, clock, "党员", "下次支委会什么时候开")
    assert "2026年12月3日" in reply and "15:00" in reply and "社区三楼会议室" in reply and "民主评议" in reply
    assert "2026年12月12日" in say(engine, clock, "党员", "下一次党课是哪天")
    with session_scope(engine) as session:
        group, _ = get_or_create(session, name="第一党小组", kind="党小组", parent_id=ids["first"])
        other, _ = get_or_create(session, name="第二党小组", kind="党小组", parent_id=ids["first"])
        member = session.get(Member, ids["党员"])
        assert member is not None and group.id is not None and other.id is not None
        member.group_id = group.id
        create_meeting(session, org_id=other.id, kind="党小组会", starts_at=start + timedelta(days=1))
        create_meeting(session, org_id=group.id, kind="党小组会", starts_at=start + timedelta(days=2))
    assert "2026年12月5日" in say(engine, clock, "党员", "下次党小组会在哪开")
    none = say(engine, clock, "党员", "下次主题党日啥时候")
    assert "还没有安排" in none and "每月" in none


def test_this_months_guide_from_the_upper_committee(engine: Engine, clock: FakeClock) -> None:
    ids = _world(engine)
    with session_scope(engine) as session:
        guide = Guide(
            org_id=ids["top"],
            month="2026-11",
            title="11月组织生活安排",
            requirements="月底前报送台账。",
            published_at=clock.now(),
        )
        session.add(guide)
        session.flush()
        session.add(
            GuideItem(
                guide_id=guide.id, position=1, topic="学习全会精神", content="原文学习", form="集中学习"
            )
        )
        session.add(GuideItem(guide_id=guide.id, position=2, topic="主题党日", due="11月20日前"))
        session.add(Guide(org_id=ids["top"], month="2026-12", title="12月的"))
    reply = say(engine, clock, "党员", "本月组织生活清单")
    assert "2026年11月组织生活清单" in reply and "11月组织生活安排（某街道党工委）" in reply
    assert "1. 学习全会精神" in reply and "内容：原文学习" in reply and "形式：集中学习" in reply
    assert (
        "2. 主题党日" in reply
        and "11月20日前" in reply
        and "月底前报送台账" in reply
        and "12月的" not in reply
    )
    clock.advance(timedelta(days=60))
    assert "还没有发布" in say(engine, clock, "党员", "这个月组织生活学什么")


def test_this_months_political_birthdays_are_for_secretaries(engine: Engine, clock: FakeClock) -> None:
    _world(engine)
    listing = say(engine, clock, "书记", "本月政治生日有谁")
    assert "王书记：11月5日，入党28周年" in listing and "李党员：11月28日，入党11周年" in listing
    assert "钱外" not in listing and "赵预备" not in listing
    assert "书记" in say(engine, clock, "党员", "本月政治生日名单")


def test_dues_and_numbered_choices_through_the_command_table(engine: Engine, clock: FakeClock) -> None:
    _world(engine)
    assert "每月党费120元" in say(engine, clock, "党员", "党费咋算 工资8000")
    assert "每月党费20元" in say(engine, clock, "党员", "退休金4000")
    offered = say(engine, clock, "党员", "支委会")
    assert offered.startswith("你是不是想问")
    first_question = offered.splitlines()[1].split(". ", 1)[1]
    picked = say(engine, clock, "党员", "1")
    assert "依据" in picked and not picked.startswith("你是不是想问"), (first_question, picked)
