"""签到 / 请假 / 缺席名单 / 标记缺席 and the quorum flag, through the router."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.core.clock import SHANGHAI
from handlers import ledger
from storage import attendance
from storage.db import session_scope
from storage.models import Attendance, AttendanceStatus, Organization
from tests.fakes.clock import FakeClock
from tests.workflows.conftest import Chat

START = datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI)


def _status(engine: Engine, member_id: int) -> tuple[str, str] | None:
    with Session(engine) as session:
        row = session.exec(select(Attendance).where(Attendance.member_id == member_id)).first()
        return (row.status, row.reason) if row else None


def test_check_in_only_inside_the_window(
    chat_as: Callable[..., Chat], clock: FakeClock, engine: Engine, district: dict[str, int]
) -> None:
    chat_as("王书记").say("安排 党课 11月25日 15:00 三楼")
    member = chat_as("张三")
    assert "没有可以签到" in member.say("签到")
    clock.set(START - timedelta(minutes=31))
    assert "没有可以签到" in member.say("签到")
    clock.set(START - timedelta(minutes=30))
    assert "签到成功" in member.say("签到")
    assert "已经签过到" in member.say("签到")
    assert _status(engine, district["张三"]) == (AttendanceStatus.PRESENT, "")
    clock.set(START + timedelta(hours=2, seconds=1))  # no end given: two hours after the start
    assert "没有可以签到" in chat_as("赵五").say("签到")


def test_check_in_until_the_stated_end(chat_as: Callable[..., Chat], clock: FakeClock) -> None:
    chat_as("王书记").say("安排 主题党日 11月25日 15:00-18:00")
    clock.set(START + timedelta(hours=2, minutes=59))
    assert "签到成功" in chat_as("张三").say("签到")


def test_only_the_committee_signs_in_to_a_committee_meeting(
    chat_as: Callable[..., Chat], clock: FakeClock
) -> None:
    chat_as("王书记").say("安排 支委会 11月25日 15:00")
    clock.set(START)
    assert "不在支委会的参会范围" in chat_as("张三").say("签到")
    assert "签到成功" in chat_as("刘组织").say("签到")
    assert "只对已绑定的党员开放" in chat_as(None).say("签到")


def test_leave_before_the_meeting(
    chat_as: Callable[..., Chat], clock: FakeClock, engine: Engine, district: dict[str, int]
) -> None:
    member = chat_as("李四")
    assert "近期没有" in member.say("请假 出差")
    chat_as("王书记").say("安排 党课 11月25日 15:00")
    assert "请写明请假原因" in member.say("请假")
    assert "已为您请假" in member.say("请假 出差在外")
    assert _status(engine, district["李四"]) == (AttendanceStatus.LEAVE, "出差在外")
    clock.set(START + timedelta(minutes=10))
    assert "已经开始" in chat_as("赵五").say("请假 身体不适")


def test_absence_list_and_marking(
    chat_as: Callable[..., Chat], clock: FakeClock, engine: Engine, district: dict[str, int]
) -> None:
    secretary = chat_as("王书记")
    assert "最近没有会议" in secretary.say("缺席名单")
    secretary.say("安排 党课 11月25日 15:00")
    chat_as("李四").say("请假 出差在外")
    clock.set(START)
    for name in ("王书记", "刘组织"):
        chat_as(name).say("签到")
    roll = secretary.say("缺席名单")
    assert "应到5人，签到2人，请假1人，缺席2人" in roll
    assert "请假：李四（出差在外）" in roll
    assert "未到：张三、赵五" in roll
    assert "表决" not in roll  # only a 党员大会 needs the voting quorum
    assert "已将张三标记为缺席" in secretary.say("标记缺席 张三 无故未到")
    assert _status(engine, district["张三"]) == (AttendanceStatus.ABSENT, "无故未到")
    assert "标记缺席：张三（无故未到）" in secretary.say("缺席名单")
    assert "不在党课的应到名单" in secretary.say("标记缺席 钱六")
    assert "只有本支部书记" in chat_as("张三").say("缺席名单")
    assert "只有本支部书记" in chat_as("张三").say("标记缺席 赵五")


def test_general_assembly_without_a_voting_quorum_is_flagged(
    chat_as: Callable[..., Chat], clock: FakeClock
) -> None:
    # 第一党支部: 4 正式党员 (王书记, 刘组织, 张三, 赵五) and 1 预备党员 (李四)
    secretary = chat_as("王书记")
    secretary.say("安排 支部党员大会 11月25日 15:00 讨论发展党员")
    clock.set(START)
    for name in ("王书记", "刘组织", "李四"):  # 2 of 4 voters; the 预备党员 does not count
        chat_as(name).say("签到")
    assert "有表决权的正式党员4人，到会2人，未超过半数" in secretary.say("缺席名单")
    chat_as("张三").say("签到")
    assert "未超过半数" not in secretary.say("缺席名单")


def test_committee_meeting_quorum(chat_as: Callable[..., Chat], clock: FakeClock) -> None:
    secretary = chat_as("王书记")
    secretary.say("安排 支委会 11月25日 15:00")
    clock.set(START)
    assert "支委2人，到会0人" in secretary.say("缺席名单 支委会")
    chat_as("刘组织").say("签到")
    secretary.say("签到")
    assert "支委会不能进行" not in secretary.say("缺席名单 支委会")


def test_leave_after_signing_in_is_refused_in_chat_and_in_the_ledger(
    chat_as: Callable[..., Chat], clock: FakeClock, engine: Engine, district: dict[str, int]
) -> None:
    chat_as("王书记").say("安排 党课 11月25日 15:00")
    member = chat_as("张三")
    clock.set(START - timedelta(minutes=20))
    assert "签到成功" in member.say("签到")
    answer = member.say("请假 临时有事")
    assert "您已签到" in answer and "不能再请假" in answer and "联系支部书记" in answer
    clock.set(START + timedelta(minutes=5))
    assert "不能再请假" in member.say("请假 临时有事")
    assert _status(engine, district["张三"]) == (AttendanceStatus.PRESENT, "")
    with session_scope(engine) as session:
        branch = session.get(Organization, district["第一党支部"])
        assert branch is not None
        (meeting,) = attendance.meetings_of(session, org_ids=[branch.id or 0], start=START, end=clock.now())
        with pytest.raises(attendance.AlreadySignedIn):  # no other path can turn it into leave either
            attendance.mark(
                session,
                meeting_id=meeting.id or 0,
                member_id=district["张三"],
                status=AttendanceStatus.LEAVE,
                at=clock.now(),
            )
        book = load_workbook(BytesIO(ledger.build(session, org=branch, year=2026, now=clock.now())))
    row = [c.value for c in book["党课"][2]]
    assert "张三" in row[7] and not row[8]  # 出席人员, not 请假人员


def test_absence_list_before_the_start_says_not_signed_in_yet(
    chat_as: Callable[..., Chat], clock: FakeClock
) -> None:
    secretary = chat_as("王书记")
    secretary.say("安排 党课 11月25日 15:00")
    chat_as("李四").say("请假 出差在外")
    clock.set(START - timedelta(minutes=20))
    secretary.say("签到")
    roll = secretary.say("缺席名单")
    assert "还没开始" in roll and "已签到1人，请假1人，未签到3人" in roll
    assert "未签到：刘组织、张三、赵五" in roll and "缺席" not in roll
    assert "开始后才能标记缺席" in secretary.say("标记缺席 张三")
    clock.set(START)
    assert "缺席3人" in secretary.say("缺席名单")
