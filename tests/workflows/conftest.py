"""A small district with two branches and a chat fixture that talks through the real Router."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import count

import pytest
from sqlalchemy import Engine

from bot.core.messages import Inbound
from bot.router import Router
from storage.db import session_scope
from storage.members import bind_identity
from storage.models import Member, MemberStatus, Organization, OrgKind, Role
from tests.fakes.clock import FakeClock

_ids = count(1)


@dataclass
class Chat:
    """One person typing in one chat; ``say`` returns the bot's answer as one string."""

    router: Router
    sender_id: str
    chat_id: str
    is_group: bool = False
    log: list[str] = field(default_factory=list)

    def say(self, text: str) -> str:
        inbound = Inbound(
            channel="console",
            account="local",
            chat_id=self.chat_id,
            sender_id=self.sender_id,
            text=text,
            received_at=self.router.clock.now(),
            is_group=self.is_group,
            message_id=f"m{next(_ids)}",
        )
        answer = "\n".join(r.text for r in self.router.handle(inbound))
        self.log.append(answer)
        return answer


ROSTER = [
    # name, org, role, status, phone
    ("王书记", "第一党支部", Role.SECRETARY, MemberStatus.FULL, "13900000001"),
    ("刘组织", "第一党支部", Role.ORGANIZATION, MemberStatus.FULL, "13900000002"),
    ("张三", "第一党支部", Role.MEMBER, MemberStatus.FULL, "13800001234"),
    ("李四", "第一党支部", Role.MEMBER, MemberStatus.PROBATIONARY, "13800005678"),
    ("赵五", "第一党支部", Role.MEMBER, MemberStatus.FULL, "13800009999"),
    ("陈书记", "第二党支部", Role.SECRETARY, MemberStatus.FULL, "13900000003"),
    ("钱六", "第二党支部", Role.MEMBER, MemberStatus.FULL, "13800007777"),
    ("孙委员", "某街道党工委", Role.COMMITTEE, MemberStatus.FULL, "13900000004"),
]


@pytest.fixture
def district(engine: Engine) -> dict[str, int]:
    """Organization and member ids by name."""
    ids: dict[str, int] = {}
    with session_scope(engine) as session:
        top = Organization(name="某街道党工委", kind=OrgKind.WORKING_COMMITTEE)
        session.add(top)
        session.flush()
        for name in ("第一党支部", "第二党支部"):
            branch = Organization(name=name, kind=OrgKind.BRANCH, parent_id=top.id)
            session.add(branch)
            session.flush()
            ids[name] = branch.id  # type: ignore[assignment]
        ids[top.name] = top.id  # type: ignore[assignment]
        for name, org, role, status, phone in ROSTER:
            member = Member(
                name=name, org_id=ids[org], role=role, status=status, phone=phone, joined_on=date(2015, 7, 1)
            )
            member.sync_join_md()
            session.add(member)
            session.flush()
            ids[name] = member.id  # type: ignore[assignment]
    return ids


@pytest.fixture
def router(engine: Engine, clock: FakeClock) -> Router:
    return Router(engine, clock)


@pytest.fixture
def chat_as(engine: Engine, router: Router, district: dict[str, int]) -> Callable[..., Chat]:
    """chat_as("张三"): a private chat with a bound member; chat_as(None): a stranger; group="g1": a group."""

    def make(name: str | None, *, group: str | None = None) -> Chat:
        sender = f"user-{name or 'stranger'}"
        if name is not None:
            with session_scope(engine) as session:
                member = session.get(Member, district[name])
                assert member is not None
                bind_identity(session, member=member, channel="console", account="local", external_id=sender)
        return Chat(router, sender, group or sender, is_group=group is not None)

    return make
