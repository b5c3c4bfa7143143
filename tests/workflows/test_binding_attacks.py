"""Attacks on binding, replayed as a probe ran them: each must stop, and say so to the people concerned."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from itertools import count

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.router import Router
from storage import bindcodes
from storage.db import session_scope
from storage.models import AuditLog, ChatBinding, Delivery, Identity, Member, MemberStatus
from tests.fakes.clock import FakeClock
from tests.workflows.conftest import Chat
from tests.workflows.test_binding import _code

_fresh = count(1)


def _stranger(router: Router) -> Chat:
    sender = f"wx-attacker-{next(_fresh)}"
    return Chat(router, sender, sender)


def _bound_as(engine: Engine, sender: str) -> str | None:
    with Session(engine) as session:
        identity = session.exec(select(Identity).where(Identity.external_id == sender)).first()
        member = session.get(Member, identity.member_id) if identity else None
        return member.name if member else None


def test_guessing_a_members_digits_stops_after_five_tries_whatever_the_attacker_does(
    chat_as: Callable[..., Chat], router: Router, engine: Engine
) -> None:
    # A bound member guesses 4 times, re-binds to himself (which used to clear his count), repeats,
    # and spreads the rest over fresh identities; the right digits come at guess 41.
    attacker = chat_as("张三")
    guesses = [f"{i:04d}" for i in range(40)] + ["9999"]  # 赵五's phone ends in 9999
    evaluated = 0
    chat = attacker
    for i, digits in enumerate(guesses):
        if i % 4 == 0 and i:
            attacker.say("绑定 张三 1234")
            chat = attacker if i % 8 == 0 else _stranger(router)
        answer = chat.say(f"绑定 赵五 {digits}")
        evaluated += "没有找到" in answer
        assert "绑定成功" not in answer
    assert evaluated == bindcodes.PER_NAME.max_failures == 5
    # The right digits from a new identity are refused too: the name is locked for 24 hours.
    assert "暂停 24 小时" in _stranger(router).say("绑定 赵五 9999")
    assert _bound_as(engine, attacker.sender_id) == "张三"


def test_the_lock_lasts_a_day_and_then_the_member_can_bind(
    router: Router, clock: FakeClock, district: dict[str, int]
) -> None:
    for _ in range(5):
        _stranger(router).say("绑定 赵五 0000")
    assert "暂停" in _stranger(router).say("绑定 赵五 9999")
    clock.advance(timedelta(hours=24, seconds=1))
    assert "绑定成功" in _stranger(router).say("绑定 赵五 9999")


def test_every_miss_is_audited_and_a_lock_is_told_to_the_member_and_the_secretaries(
    chat_as: Callable[..., Chat], router: Router, engine: Engine, district: dict[str, int]
) -> None:
    chat_as("赵五")  # bound elsewhere: the real 赵五 can be told
    chat_as("王书记")
    chat_as("刘组织")
    for _ in range(5):
        _stranger(router).say("绑定 赵五 0000")
    with Session(engine) as session:
        misses = session.exec(select(AuditLog).where(AuditLog.action == "bind_failed")).all()
        notices = session.exec(select(Delivery).where(Delivery.kind == "bind_lock")).all()
    assert len(misses) == 5
    assert all("name=赵五" in m.detail and "0000" not in m.detail for m in misses)
    to = {n.chat_id: n.text for n in notices}
    assert set(to) == {"user-赵五", "user-王书记", "user-刘组织"}
    assert "您的姓名" in to["user-赵五"] and "邀请 赵五" in to["user-王书记"]


def test_many_names_at_once_close_the_phone_path_for_an_hour(
    router: Router, clock: FakeClock, district: dict[str, int]
) -> None:
    for i in range(bindcodes.EVERYONE.max_failures):
        _stranger(router).say(f"绑定 路人{i} 0000")
    assert "暂时关闭" in _stranger(router).say("绑定 张三 1234")
    clock.advance(timedelta(hours=1, seconds=1))
    assert "绑定成功" in _stranger(router).say("绑定 张三 1234")


def test_committee_members_cannot_bind_with_phone_digits_even_when_right(
    router: Router, engine: Engine, district: dict[str, int]
) -> None:
    person = _stranger(router)
    answer = person.say("绑定 王书记 0001")  # the right digits
    assert "要用绑定码" in answer
    assert person.say("绑定 王书记 9876") == answer  # and the reply says nothing about the digits
    assert _bound_as(engine, person.sender_id) is None


def test_a_group_bound_to_one_branch_cannot_be_taken_by_another(
    chat_as: Callable[..., Chat], router: Router, engine: Engine, district: dict[str, int]
) -> None:
    assert "已绑定到第一党支部" in chat_as("王书记", group="g1").say("绑定本群")
    intruder = chat_as("陈书记", group="g1")
    assert "本群已绑定到第一党支部" in intruder.say("绑定本群")
    code = _code(chat_as("陈书记").say("群绑定码"))
    assert "本群已绑定到第一党支部" in intruder.say(f"绑定本群 {code}")
    with Session(engine) as session:
        assert session.exec(select(ChatBinding)).one().org_id == district["第一党支部"]
        refused = session.exec(select(AuditLog).where(AuditLog.action == "bind_chat_refused")).all()
    assert refused
    # Members of the owning branch cannot release it; its secretary can, and then the code works.
    assert "才能解绑" in chat_as("张三", group="g1").say("解绑本群")
    assert "解除绑定" in chat_as("王书记", group="g1").say("解绑本群")
    assert "已绑定到第二党支部" in intruder.say(f"绑定本群 {code}")


def test_a_manager_of_both_may_move_a_group_and_the_old_branch_is_told(
    chat_as: Callable[..., Chat], engine: Engine, district: dict[str, int]
) -> None:
    chat_as("王书记", group="g2").say("绑定本群")
    code = _code(chat_as("孙委员").say("群绑定码"))  # the 党工委 above both branches
    assert "已绑定到某街道党工委" in chat_as("孙委员", group="g2").say(f"绑定本群 {code}")
    with Session(engine) as session:
        notices = session.exec(select(Delivery).where(Delivery.kind == "chat_moved")).all()
    assert [n.chat_id for n in notices] == ["user-王书记"]
    assert "改绑到某街道党工委" in notices[0].text


def test_a_transferred_out_member_keeps_only_their_own_data(
    chat_as: Callable[..., Chat], router: Router, engine: Engine, district: dict[str, int]
) -> None:
    secretary = chat_as("王书记")
    code = _code(secretary.say("邀请 赵五"))
    leaver = chat_as("王书记", group="g3")
    leaver.say("绑定本群")
    with session_scope(engine) as session:
        for name in ("赵五", "王书记"):
            member = session.get(Member, district[name])
            assert member is not None
            member.status = MemberStatus.TRANSFERRED_OUT
            session.add(member)
    # binding refused, by code and by phone digits
    assert "已转出" in _stranger(router).say(f"绑定 {code}")
    assert "没有找到" in _stranger(router).say("绑定 赵五 9999")
    # the former secretary, still bound and still in the group, sees nobody else's data
    for question in ("本月政治生日", "本月安排", "缺席名单", "邀请 张三", "发布 开会"):
        assert "已转出" in secretary.say(question), question
        assert "已转出" in leaver.say(question), question
    assert "入党日期" in secretary.say("我的政治生日")
    with Session(engine) as session:
        assert not session.exec(select(Delivery).where(col(Delivery.kind) == "broadcast")).all()
