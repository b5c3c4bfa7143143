"""Every chat command, typed in traditional characters and full-width forms, and refused to those not meant.

Each command declares who may use it and where (handlers/commands.py); dispatch refuses before the
handler runs, with one text per reason, and hands the handler its arguments already simplified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.core.clock import SHANGHAI
from bot.core.messages import SUBSCRIBE_COMMAND
from handlers import texts
from handlers.commands import COMMANDS, Who
from storage import bindcodes
from storage.bindcodes import Purpose
from storage.db import session_scope
from storage.meetings import create_meeting
from storage.models import ChatBinding, MeetingKind, Member, MemberStatus, Role
from tests.fakes.clock import FakeClock
from tests.workflows.conftest import Chat

# command: (as a 书记 would type it in traditional or full-width characters, what the answer then says)
TRADITIONAL: dict[str, tuple[str, str]] = {
    "welcome": (SUBSCRIBE_COMMAND, "支部助手"),
    "help": ("幫助", "书记帮助"),
    "secretary-help": ("書記幫助", "发布清单"),
    "console-login": ("後臺", "网页后台还没有配置网址"),  # this router has no [web] base_url
    "bind-chat": ("綁定本群", "本群已绑定到第一党支部"),
    "unbind-chat": ("解綁本群", "本群还没有绑定"),
    "bind": ("綁定 張三 １２３４", "绑定成功"),
    "invite": ("邀請 張三", "张三同志的绑定码"),
    "chat-code": ("群綁定碼", "群绑定码"),
    "guide-publish": ("發布清單\n## 讀書分享\n- 內容：每人讀一本黨史書", "已发布第一党支部"),
    "broadcast": ("發布 週五下午開會", "週五下午開會"),  # a notice goes out as typed
    "broadcast-confirm": ("確認發送", "没有待确认的通知"),
    "broadcast-abort": ("取消發送", "没有待确认的通知"),
    "broadcast-status": ("發送情況", "最近没有发过通知"),
    "check-in": ("簽到", "签到成功"),
    "leave": ("請假 黨課 出差", "已为您请假"),
    "absence-list": ("缺席名單", "主题党日"),
    "mark-absent": ("標記缺席 趙五 出差", "已将赵五标记为缺席"),
    "month-plan": ("本月會議", "会议安排"),
    "schedule": ("安排 支委會 12月6日 15:00", "已安排支委会"),
    "move": ("改期 黨課 改到 12月8日 15:00", "改到2026年12月8日"),
    "cancel": ("取消 黨課", "已取消"),
    "kb-pick": ("１", ""),  # full-width: read as 1 (see below)
    "birthdays-month": ("本月政治生日", "政治生日"),
    "birthday": ("我的政治生日", "7月1日"),
    "standing": ("我的黨齡", "党龄"),
    "joined": ("我入黨幾年了", "2015年7月1日"),
    "probation": ("我預備期啥時候滿", "转正"),
    "who": ("支部書記是誰", "王书记"),
    "my-attendance": ("我今年缺席了幾次", "次"),
    "dues": ("月薪８０００交多少黨費", "党费"),
    "guide": ("本月組織生活清單", "组织生活清单"),
    "next-meeting": ("下次黨課什麼時候", "党课"),
    "schedule-sentence": ("下週三下午三點在黨員活動室開支委會", "已安排支委会"),
    "week": ("這週有啥會", "党课"),
    "clarify": ("下午", ""),
    "report": ("報到 和平社區", "没有找到名称含“和平社区”"),
    "my-report": ("我的報到", "还没有向居住地社区报到"),
    "end-report": ("結束報到", "还没有向居住地社区报到"),
    "assign-report": ("登記報到 張三", "登记报到、结束他人报到要由社区党委"),
    "report-list": ("報到統計", "报到情况"),
    "wish-post": ("發布心願 幫老人買米 截止：12月10日", "发布微心愿要由社区党委"),
    "wishes": ("心願", "待认领的微心愿"),
    "wish-claim": ("認領 1", "没有编号为 1 的心愿"),
    "wish-release": ("放棄認領 1 出差", "没有编号为 1 的心愿"),
    "wish-done": ("完成 1 已送到", "没有编号为 1 的心愿"),
    "wish-confirm": ("確認完成 1", "没有编号为 1 的心愿"),
    "wish-cancel": ("取消心願 1", "没有编号为 1 的心愿"),
    "points": ("我的積分", "还没有积分记录"),
    "ranking": ("積分排名 本月", "第一党支部11月积分排名"),
}

# command: (who is refused, what they hear) for every command that is not for everyone
REFUSED: dict[Who, tuple[str | None, str]] = {
    Who.SELF: (None, texts.NOT_BOUND),
    Who.BRANCH: ("周转出", texts.TRANSFERRED_OWN_DATA_ONLY),
    Who.MEMBER: (None, texts.MEMBERS_ONLY),
    Who.MANAGER: ("张三", texts.NOT_ALLOWED),
}


@pytest.fixture
def world(engine: Engine, clock: FakeClock, district: dict[str, int]) -> Iterator[dict[str, int]]:
    """A former secretary transferred out, a bound group, a 主题党日 under way and a 党课 coming."""
    with session_scope(engine) as session:
        gone = Member(
            name="周转出",
            org_id=district["第一党支部"],
            role=Role.SECRETARY,
            status=MemberStatus.TRANSFERRED_OUT,
            phone="13900000009",
            joined_on=date(2000, 7, 1),
        )
        gone.sync_join_md()
        session.add(gone)
        session.add(
            ChatBinding(
                channel="console",
                account="local",
                chat_id="branch-group",
                is_group=True,
                org_id=district["第一党支部"],
            )
        )
        session.flush()
        district["周转出"] = gone.id  # type: ignore[assignment]
        create_meeting(
            session,
            org_id=district["第一党支部"],
            kind=MeetingKind.THEME_DAY,
            starts_at=clock.now() - timedelta(minutes=10),
            topic="志愿服务",
        )
        create_meeting(
            session,
            org_id=district["第一党支部"],
            kind=MeetingKind.LECTURE,
            starts_at=datetime(2026, 11, 26, 15, tzinfo=SHANGHAI),
            topic="党史",
        )
    yield district


def test_every_command_has_a_case() -> None:
    assert {c.name for c in COMMANDS} == set(TRADITIONAL)


@pytest.mark.parametrize("name", sorted(TRADITIONAL))
def test_a_command_typed_in_traditional_characters_is_understood(
    name: str, chat_as: Callable[..., Chat], world: dict[str, int], engine: Engine, clock: FakeClock
) -> None:
    message, expected = TRADITIONAL[name]
    who = {
        "bind": None,
        "check-in": "赵五",
        "leave": "张三",
        "my-attendance": "张三",
        "probation": "李四",
        "birthday": "张三",
        "standing": "张三",
        "joined": "张三",
    }.get(name, "王书记")
    group = "g1" if name in ("bind-chat", "unbind-chat") else None
    chat = chat_as(who, group=group)
    if name == "bind-chat":
        with session_scope(engine) as session:
            code, _ = bindcodes.issue(
                session, purpose=Purpose.CHAT, now=clock.now(), org_id=world["第一党支部"]
            )
        message = f"綁定本群 {bindcodes.display(code)}"
    answer = chat.say(message)
    if name in ("kb-pick", "clarify"):  # no choices or draft pending: the same as the half-width form
        expected = chat_as(who, group="fresh").say(message.replace("１", "1"))
    assert expected in answer, (name, answer)
    for refused in (texts.NOT_ALLOWED, texts.MEMBERS_ONLY, texts.NOT_BOUND, texts.TRANSFERRED_OWN_DATA_ONLY):
        assert refused not in answer, (name, answer)


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.who is not Who.ANYONE], ids=lambda c: c.name)
def test_a_command_is_refused_to_those_it_is_not_for_before_its_handler_runs(
    command: object, chat_as: Callable[..., Chat], world: dict[str, int]
) -> None:
    message, _ = TRADITIONAL[command.name]  # type: ignore[attr-defined]
    sender, refusal = REFUSED[command.who]  # type: ignore[attr-defined]
    group = "g1" if command.name in ("bind-chat", "unbind-chat") else None  # type: ignore[attr-defined]
    assert chat_as(sender, group=group).say(message) == refusal
    if command.who is not Who.SELF:  # type: ignore[attr-defined]
        # a former secretary keeps only their own records, whatever their old role allowed
        assert chat_as("周转出", group=group).say(message) == texts.TRANSFERRED_OWN_DATA_ONLY


def test_private_and_group_commands_say_where_to_send_them(
    chat_as: Callable[..., Chat], world: dict[str, int]
) -> None:
    assert chat_as("王书记", group="g1").say("邀請 張三") == texts.PRIVATE_ONLY.format(word="邀请")
    assert chat_as("王书记").say("綁定本群") == texts.GROUP_ONLY.format(word="绑定本群")
