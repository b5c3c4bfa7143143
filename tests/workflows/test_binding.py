"""Binding identities and group chats, through the router, as people would type it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.router import Router
from storage.models import AuditLog, BindCode, ChatBinding, Identity
from tests.fakes.clock import FakeClock
from tests.workflows.conftest import Chat

CODE = re.compile(r"绑定码：([A-Z0-9]{4}-[A-Z0-9]{4})")


def _code(answer: str) -> str:
    found = CODE.search(answer)
    assert found, answer
    return found.group(1)


def test_secretary_invites_and_member_binds_with_the_code(
    chat_as: Callable[..., Chat], router: Router
) -> None:
    code = _code(chat_as("王书记").say("邀请 张三"))
    newcomer = Chat(router, "wx-new", "wx-new")
    assert "绑定成功" in newcomer.say(f"绑定 {code.lower()}")
    assert "张三同志" in newcomer.say("我的党龄")
    # single use
    other = Chat(router, "wx-other", "wx-other")
    assert "已经用过" in other.say(f"绑定 {code}")


def test_code_typed_in_two_pieces_still_works(chat_as: Callable[..., Chat], router: Router) -> None:
    code = _code(chat_as("王书记").say("邀请 张三"))
    assert "绑定成功" in Chat(router, "wx-new", "wx-new").say("绑定 " + code.replace("-", " "))


def test_expired_code_is_refused_with_a_clear_message(
    chat_as: Callable[..., Chat], router: Router, clock: FakeClock
) -> None:
    code = _code(chat_as("王书记").say("邀请 张三"))
    clock.advance(timedelta(hours=72, seconds=1))
    assert "已过期" in Chat(router, "wx-new", "wx-new").say(f"绑定 {code}")


def test_a_new_invitation_retires_the_old_code(chat_as: Callable[..., Chat], router: Router) -> None:
    secretary = chat_as("王书记")
    first = _code(secretary.say("邀请 张三"))
    second = _code(secretary.say("邀请 张三"))
    newcomer = Chat(router, "wx-new", "wx-new")
    assert "已过期" in newcomer.say(f"绑定 {first}")
    assert "绑定成功" in newcomer.say(f"绑定 {second}")


def test_wrong_codes_are_refused_then_throttled(
    chat_as: Callable[..., Chat], router: Router, clock: FakeClock
) -> None:
    code = _code(chat_as("王书记").say("邀请 张三"))
    guesser = Chat(router, "wx-guess", "wx-guess")
    for _ in range(5):
        assert "绑定码不对" in guesser.say("绑定 AAAA-BBBB")
    # even the right code is refused while throttled, from any chat of that identity
    assert "尝试次数过多" in guesser.say(f"绑定 {code}")
    assert "尝试次数过多" in Chat(router, "wx-guess", "some-group", is_group=True).say(f"绑定 {code}")
    clock.advance(timedelta(minutes=15, seconds=1))
    assert "绑定成功" in guesser.say(f"绑定 {code}")


def test_throttle_is_per_identity(chat_as: Callable[..., Chat], router: Router) -> None:
    guesser = Chat(router, "wx-guess", "wx-guess")
    for _ in range(5):
        guesser.say("绑定 AAAA-BBBB")
    assert "尝试次数过多" in guesser.say("绑定 张三 1234")
    assert "绑定成功" in Chat(router, "wx-honest", "wx-honest").say("绑定 张三 1234")


def test_bind_by_name_and_phone_digits(router: Router, district: dict[str, int]) -> None:
    person = Chat(router, "wx-zs", "wx-zs")
    assert "没有找到" in person.say("绑定 张三 0000")
    assert "绑定成功" in person.say("绑定 张三 1234")
    assert "已绑定为张三" in person.say("绑定 张三 1234")


def test_only_managers_invite_and_only_their_own_members(chat_as: Callable[..., Chat]) -> None:
    assert "只有本支部书记" in chat_as("张三").say("邀请 赵五")
    assert "只对已绑定的党员开放" in chat_as(None).say("邀请 赵五")
    assert "没有“钱六”" in chat_as("王书记").say("邀请 钱六")
    assert "绑定码" in chat_as("刘组织").say("邀请 赵五")
    # committee staff of the 党工委 manage the branches below
    assert "没有" not in chat_as("孙委员").say("邀请 钱六")


def test_codes_are_never_handed_out_in_a_group(chat_as: Callable[..., Chat]) -> None:
    assert "私聊" in chat_as("王书记", group="grp").say("邀请 张三")


def test_codes_are_stored_only_as_hashes(chat_as: Callable[..., Chat], engine: Engine) -> None:
    code = _code(chat_as("王书记").say("邀请 张三")).replace("-", "")
    with Session(engine) as session:
        stored = session.exec(select(BindCode)).one()
    assert code not in stored.code_hash


def test_group_chat_binding_with_a_chat_code(
    chat_as: Callable[..., Chat], router: Router, engine: Engine, district: dict[str, int], clock: FakeClock
) -> None:
    code = _code(chat_as("王书记").say("群绑定码"))
    group = Chat(router, "wx-zs", "group-1", is_group=True)
    assert "个人绑定码" in Chat(router, "wx-x", "wx-x", is_group=True).say(
        f"绑定本群 {_code(chat_as('王书记').say('邀请 张三'))}"
    )
    assert "已绑定到第一党支部" in group.say(f"绑定本群 {code}")
    with Session(engine) as session:
        binding = session.exec(select(ChatBinding)).one()
        assert binding.org_id == district["第一党支部"]
        actions = [a.action for a in session.exec(select(AuditLog))]
    assert "bind_chat" in actions and "invite" in actions and "chat_code" in actions
    # chat codes are short-lived
    late = _code(chat_as("王书记").say("群绑定码"))
    clock.advance(timedelta(minutes=31))
    assert "已过期" in Chat(router, "u", "group-2", is_group=True).say(f"绑定本群 {late}")


def test_secretary_binds_a_group_directly_and_members_cannot(
    chat_as: Callable[..., Chat], engine: Engine
) -> None:
    assert "绑定码" in chat_as("张三", group="g9").say("绑定本群")
    assert "已绑定到第一党支部" in chat_as("王书记", group="g9").say("绑定本群")
    assert "群聊里" in chat_as("王书记").say("绑定本群")
    with Session(engine) as session:
        assert len(session.exec(select(Identity)).all()) == 2


def test_secretary_help_card(chat_as: Callable[..., Chat]) -> None:
    card = chat_as("王书记").say("书记帮助")
    assert "邀请 姓名" in card and "发布" in card and "缺席名单" in card


def test_name_and_phone_digits_are_refused_in_a_group_where_everyone_would_see_them(
    router: Router, engine: Engine, district: dict[str, int]
) -> None:
    group = Chat(router, "wx-zhang", "branch-group", is_group=True)
    assert "私聊" in group.say("绑定 张三 1234")
    with Session(engine) as session:
        assert session.exec(select(Identity).where(Identity.external_id == "wx-zhang")).first() is None
    assert "绑定成功" in Chat(router, "wx-zhang", "wx-zhang").say("绑定 张三 1234")
