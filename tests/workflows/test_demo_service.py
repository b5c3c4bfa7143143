"""The demo world's community service: the community secretary posts, an office member who reported to
和平社区 claims and finishes from the chat, the poster confirms, and the points show at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.core.clock import SHANGHAI
from bot.router import Router
from schedules import points as points_job
from storage.db import session_scope
from storage.demo import ACTING_AS, COMMUNITY_SECRETARY, build_demo
from storage.members import bind_identity
from storage.models import Delivery, Member, PointEntry
from tests.fakes.clock import FakeClock
from tests.workflows.conftest import Chat

TODAY = date(2026, 11, 23)


def _chats(engine: Engine, router: Router, *names: str) -> list[Chat]:
    with session_scope(engine) as session:
        for name in names:
            member = session.exec(select(Member).where(Member.name == name)).one()
            bind_identity(session, member=member, channel="console", account="local", external_id=f"u-{name}")
    return [Chat(router, f"u-{name}", f"u-{name}") for name in names]


def test_a_wish_from_post_to_points_in_the_demo_world(engine: Engine) -> None:
    with session_scope(engine) as session:
        build_demo(session, today=TODAY, chats=("console", "local"))
    clock = FakeClock(datetime.combine(TODAY, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=10))
    router = Router(engine, clock)
    secretary, ma, office = _chats(engine, router, COMMUNITY_SECRETARY, "马骏", ACTING_AS)

    before = ma.say("我的积分")
    assert "微心愿：1次，+3分" in before and "组织生活" in before and "报到：1次，+5分" in before
    assert "教老人用手机挂号" in ma.say("心愿")  # open wishes of the community he reported to
    roster = secretary.say("报到名单")
    assert (
        "马骏（街道机关党支部） 特长：电脑和手机维修 1390000" in roster
    )  # phones for the community's committee

    posted = secretary.say("发布心愿 帮老人换燃气报警器电池 地点：和平社区1号楼 截止：11月26日")
    wish_id = int(posted.split("心愿 ")[1].split("：")[0])
    with Session(engine) as session:
        told = session.exec(select(Delivery).where(col(Delivery.kind) == "wish")).all()
    assert {"u-马骏", "u-林晓红"} <= {d.chat_id for d in told}  # reported members, privately
    assert any(d.is_group for d in told)  # and the community's group chat

    assert "已认领" in ma.say(f"认领 {wish_id}")
    assert "已记下" in ma.say(f"完成 {wish_id} 电池换好了")
    assert "各记 +3 分" in secretary.say(f"确认完成 {wish_id}")

    after = ma.say("我的积分")
    assert "微心愿：2次，+6分" in after and "帮老人换燃气报警器电池 +3" in after
    ranking = office.say("积分排名")
    assert "马骏" in ranking and "街道机关党支部2026年积分排名" in ranking
    with session_scope(engine) as session:
        points_job.run(clock.now() + timedelta(days=3), session=session)  # nothing is credited twice
        points_job.run(clock.now() + timedelta(days=4), session=session)
    with Session(engine) as session:
        ma_id = session.exec(select(Member.id).where(Member.name == "马骏")).one()
        sources = [
            (e.source, e.source_id)
            for e in session.exec(select(PointEntry).where(PointEntry.member_id == ma_id))
        ]
    assert len(sources) == len(set(sources))
    assert ma.say("我的积分") == after
