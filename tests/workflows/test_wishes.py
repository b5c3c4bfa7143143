"""双报到 → 发布心愿 → 认领 → 完成 → 确认完成 → 我的积分 and 积分排名, through the real Router and outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.router import Router
from schedules import points as points_job
from schedules import wishes as wish_job
from schedules.settings import ScheduleSettings
from storage import points
from storage.db import session_scope
from storage.meetings import cancel_meeting, create_meeting
from storage.members import bind_identity
from storage.models import (
    Attendance,
    ChatBinding,
    Delivery,
    Member,
    Organization,
    OrgKind,
    PointEntry,
    Role,
    Wish,
)
from storage.point_rules import PointsRules
from tests.fakes.clock import FakeClock
from tests.workflows.conftest import Chat


@pytest.fixture
def community(engine: Engine, district: dict[str, int]) -> dict[str, int]:
    """和平社区党委 (with its secretary), a grid branch and a group chat, under the district's 党工委."""
    with session_scope(engine) as session:
        top = district["某街道党工委"]
        committee = Organization(name="和平社区党委", kind=OrgKind.COMMUNITY_COMMITTEE, parent_id=top)
        session.add(committee)
        session.flush()
        grid = Organization(name="和平社区第一网格党支部", kind=OrgKind.GRID_BRANCH, parent_id=committee.id)
        other = Organization(name="幸福社区党委", kind=OrgKind.COMMUNITY_COMMITTEE, parent_id=top)
        session.add_all([grid, other])
        session.flush()
        for name, org, role, phone in (
            ("何书记", committee.id, Role.SECRETARY, "13900000011"),
            ("网格长", grid.id, Role.SECRETARY, "13900000012"),
        ):
            member = Member(name=name, org_id=org, role=role, phone=phone, joined_on=date(2010, 7, 1))  # type: ignore[arg-type]
            member.sync_join_md()
            session.add(member)
            session.flush()
            district[name] = member.id  # type: ignore[assignment]
        session.add(
            ChatBinding(channel="console", account="local", chat_id="grp-heping", org_id=committee.id)
        )  # type: ignore[arg-type]
        district.update({"和平社区党委": committee.id, "网格": grid.id, "幸福社区党委": other.id})  # type: ignore[dict-item]
    return district


def _to(engine: Engine, chat_id: str) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.chat_id == chat_id).order_by(col(Delivery.id)))
        return [r.text for r in rows if r.kind == "wish"]


def test_the_whole_loop_credits_points_once(
    chat_as: Callable[..., Chat], engine: Engine, clock: FakeClock, community: dict[str, int]
) -> None:
    zhang = chat_as("张三")  # 第一党支部: another branch than the community's
    assert "找到这些社区" in zhang.say("报到 和平")  # the community and its grid both match
    assert "已向和平社区党委报到" in zhang.say("1")
    assert "特长" not in zhang.say("我的报到")
    assert "已经" in zhang.say("报到 和平社区党委") or "已在" in zhang.log[-1]

    secretary = chat_as("何书记")
    roster = secretary.say("报到名单")
    assert "张三（第一党支部）" in roster and "13800001234" in roster  # the community's own committee
    grid_secretary = chat_as("网格长")
    assert "13800001234" not in grid_secretary.say("报到名单")

    posted = secretary.say("发布心愿 帮独居老人买米 对象：王秀英 地点：3号楼 截止：11月30日 人数：1")
    assert "已发布心愿" in posted
    wish_id = int(posted.split("心愿 ")[1].split("：")[0])
    note = _to(engine, "user-张三")
    assert note and "王**" in note[0] and "王秀英" not in note[0] and f"认领 {wish_id}" in note[0]
    assert _to(engine, "grp-heping")  # the community's group chat hears too

    assert "心愿" in zhang.say("心愿") and "帮独居老人买米" in zhang.log[-1]
    assert "服务对象：王秀英，3号楼" in zhang.say(f"认领 {wish_id}")  # the claimant alone gets the full name
    assert "认满" in chat_as("赵五").say(f"认领 {wish_id}")
    assert "还有人没完成" in secretary.say(f"确认完成 {wish_id}")
    assert "已记下" in zhang.say(f"完成 {wish_id} 米已送到家")
    assert any("米已送到家" in t for t in _to(engine, "user-何书记"))
    assert "只有发布人" in chat_as("钱六").say(f"确认完成 {wish_id}")
    assert "各记 +3 分" in secretary.say(f"确认完成 {wish_id}")
    assert "已经确认完成" in secretary.say(f"确认完成 {wish_id}")  # no second credit

    mine = zhang.say("我的积分")
    assert "积分 8 分" in mine and "微心愿：1次，+3分" in mine and "报到：1次，+5分" in mine
    ranking = chat_as("王书记").say("积分排名")
    assert ranking.splitlines()[1:] == ["1. 张三 8分", "另有4人2026年没有积分。"]  # 第一党支部's other four
    assert "书记" in zhang.say("积分排名")  # members do not see rankings by default
    with Session(engine) as session:
        assert (
            len(session.exec(select(PointEntry).where(PointEntry.member_id == community["张三"])).all()) == 2
        )


def test_illegal_transitions_are_refused_with_a_reason(
    chat_as: Callable[..., Chat], engine: Engine, community: dict[str, int]
) -> None:
    secretary = chat_as("网格长")
    posted = secretary.say("发布心愿 陪老人去医院 截止：12月1日 人数：2")
    wish_id = int(posted.split("心愿 ")[1].split("：")[0])
    zhang, zhao = chat_as("张三"), chat_as("赵五")
    assert "没有认领" in zhang.say(f"完成 {wish_id} 好了")
    assert "已认领" in zhang.say(f"认领 {wish_id}")
    assert "已经认领过" in zhang.say(f"认领 {wish_id}")
    assert "原因" in zhang.say(f"放弃认领 {wish_id}")
    assert "已放弃" in zhang.say(f"放弃认领 {wish_id} 临时出差")
    assert "已认领" in zhang.say(f"认领 {wish_id}")  # taken up again
    assert "已认领" in zhao.say(f"认领 {wish_id}")
    assert "已取消" in secretary.say(f"取消心愿 {wish_id}")
    assert any("不用再办理" in t for t in _to(engine, "user-张三"))
    assert "已经取消" in zhang.say(f"完成 {wish_id} 好了")
    assert "没有编号为 999" in zhang.say("认领 999")
    assert "发布微心愿要由社区" in chat_as("王书记").say("发布心愿 x 截止：12月1日")
    assert "截止时间" in secretary.say("发布心愿 陪老人散步")
    assert "下午" in secretary.say(
        "发布心愿 陪老人散步 截止：12月1日 3点"
    )  # 上午还是下午? asked, not guessed
    assert "已经过去" in secretary.say("发布心愿 陪老人散步 截止：11月20日")


def test_deadline_reminders_then_expiry(
    chat_as: Callable[..., Chat], engine: Engine, clock: FakeClock, community: dict[str, int]
) -> None:
    secretary = chat_as("何书记")
    zhang = chat_as("张三")
    claimed = secretary.say("发布心愿 修水龙头 截止：11月25日 18:00")
    lonely = secretary.say("发布心愿 读报 截止：11月25日 18:00")
    first, second = (int(t.split("心愿 ")[1].split("：")[0]) for t in (claimed, lonely))
    zhang.say(f"认领 {first}")
    cfg = ScheduleSettings()

    def run() -> int:
        with session_scope(engine) as session:
            return wish_job.run(clock.now(), session=session, settings=cfg)

    assert run() == 0  # two days ahead: nothing yet
    clock.advance(timedelta(days=1, hours=9))  # 11-24 18:30, within a day of the deadline
    assert run() == 2
    assert run() == 0  # once per deadline
    short = secretary.say("发布心愿 取快递 截止：11月25日 12:00")  # posted inside the window: no reminder
    assert "已发布" in short and run() == 0
    assert any("修水龙头" in t and "提醒" in t for t in _to(engine, "user-张三"))
    assert any("读报" in t and "还没有人认领" in t for t in _to(engine, "user-何书记"))
    clock.advance(timedelta(days=1))
    run()
    with Session(engine) as session:
        assert {session.get(Wish, i).state for i in (first, second)} == {"expired"}  # type: ignore[union-attr]
    assert "过期" in zhang.say(f"完成 {first} 修好了")
    assert "修水龙头" in secretary.say("心愿 逾期")


def test_a_reversal_is_a_new_entry_and_only_once(
    engine: Engine, clock: FakeClock, community: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        assert points.credit(
            session,
            member_id=community["张三"],
            points=3,
            source="wish",
            source_id=1,
            label="微心愿：x",
            at=clock.now(),
        )
        assert not points.credit(
            session,
            member_id=community["张三"],
            points=3,
            source="wish",
            source_id=1,
            label="微心愿：x",
            at=clock.now(),
        )
        entry = points.ledger(session, member_id=community["张三"])[0]
        undo = points.reverse(session, entry_id=entry.id or 0, reason="重复登记", at=clock.now())
        assert undo.points == -3 and "重复登记" in undo.label
        with pytest.raises(points.NotReversible):
            points.reverse(session, entry_id=entry.id or 0, reason="again", at=clock.now())
        with pytest.raises(points.NotReversible):
            points.reverse(session, entry_id=undo.id or 0, reason="undo the undo", at=clock.now())
        assert [e.points for e in points.ledger(session, member_id=community["张三"])] in ([-3, 3], [3, -3])


def test_a_member_who_moves_branch_keeps_points_and_the_new_branch_ranks_them(
    chat_as: Callable[..., Chat], engine: Engine, community: dict[str, int]
) -> None:
    zhang = chat_as("张三")
    zhang.say("报到 和平社区党委")
    with session_scope(engine) as session:
        member = session.get(Member, community["张三"])
        assert member is not None
        member.org_id = community["第二党支部"]
        session.add(member)
    assert "报到：1次，+5分" in zhang.say("我的积分")
    assert "张三 5分" in chat_as("陈书记").say("积分排名")
    assert "张三" not in chat_as("王书记").say("积分排名")


def test_rules_come_from_the_router(engine: Engine, clock: FakeClock, community: dict[str, int]) -> None:
    chat = Chat(
        Router(engine, clock, points=PointsRules(report=7, members_see_ranking=True)),
        "user-张三",
        "user-张三",
    )

    with session_scope(engine) as session:
        member = session.get(Member, community["张三"])
        assert member is not None
        bind_identity(session, member=member, channel="console", account="local", external_id="user-张三")
    assert "+7" in chat.say("报到 和平社区党委")
    assert "张三 7分" in chat.say("积分排名")


def test_community_staff_record_and_end_reports_within_their_community(
    chat_as: Callable[..., Chat], engine: Engine, community: dict[str, int]
) -> None:
    secretary, grid = chat_as("何书记"), chat_as("网格长")
    assert "已登记钱六向和平社区党委报到" in secretary.say("登记报到 钱六 特长：理发")
    assert "已在和平社区党委报到" in secretary.say("登记报到 钱六")
    assert "没有找到" in secretary.say("登记报到 无此人")
    assert "要由社区党委" in chat_as("王书记").say("登记报到 钱六")
    assert "钱六（第二党支部） 特长：理发" in secretary.say("报到名单")
    assert "没有在您负责的社区报到" in grid.say("结束报到 钱六")  # the grid does not run the whole community
    assert "已结束钱六" in secretary.say("结束报到 钱六")
    assert "还没有向居住地社区报到" in chat_as("钱六").say("我的报到")
    with Session(engine) as session:
        credited = session.exec(select(PointEntry).where(PointEntry.member_id == community["钱六"])).all()
        assert [(e.source, e.recorded_by) for e in credited] == [("report", community["何书记"])]


def test_district_staff_see_counts_per_community_and_home_branch(
    chat_as: Callable[..., Chat], community: dict[str, int]
) -> None:
    chat_as("张三").say("报到 和平社区党委")
    chat_as("钱六").say("报到 幸福社区")
    counts = chat_as("孙委员").say("报到统计")
    assert "报到情况（2 人）" in counts
    assert "和平社区党委 1" in counts and "幸福社区党委 1" in counts
    assert "第一党支部 1" in counts and "第二党支部 1" in counts
    assert "13800001234" not in counts


def test_attendance_is_credited_once_after_the_roll_settles(
    engine: Engine, clock: FakeClock, community: dict[str, int]
) -> None:

    with session_scope(engine) as session:
        held, called_off = (
            create_meeting(
                session, org_id=community["第一党支部"], kind=kind, starts_at=clock.now() + timedelta(hours=1)
            )
            for kind in ("支部党员大会", "党课")
        )
        rolls = (("张三", "present"), ("赵五", "absent"), ("李四", "leave"))
        session.add_all(
            [
                Attendance(meeting_id=m.id, member_id=community[n], status=s)
                for m in (held, called_off)
                for n, s in rolls
            ]  # type: ignore[arg-type]
        )
        cancel_meeting(session, meeting_id=called_off.id, now=clock.now())  # type: ignore[arg-type]

    def run() -> int:
        with session_scope(engine) as session:
            return points_job.run(clock.now(), session=session)

    clock.advance(timedelta(days=1, hours=18))  # the second morning after: the roll may still change
    assert run() == 0
    clock.advance(timedelta(days=1))
    assert run() == 2  # present +2, absent -2; 请假 is worth 0 and writes nothing
    clock.advance(timedelta(days=1))
    assert run() == 0
    with Session(engine) as session:
        entries = session.exec(select(PointEntry).where(PointEntry.source == "attendance")).all()
        assert sorted((e.member_id, e.points, e.label) for e in entries) == sorted(
            [(community["张三"], 2, "支部党员大会 出席"), (community["赵五"], -2, "支部党员大会 缺席")]
        )
