from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from bot.core.messages import Reply, Target
from storage.db import session_scope
from storage.models import Delivery
from storage.outbox import by_key, enqueue

TARGET = Target(channel="wecom", account="default", chat_id="branch-1", is_group=True)


def test_the_same_logical_message_is_queued_once(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert enqueue(session, target=TARGET, reply=Reply("政治生日快乐"), dedupe_key="birthday:1", kind="birthday")
        assert not enqueue(session, target=TARGET, reply=Reply("又一次"), dedupe_key="birthday:1", kind="birthday")
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Delivery)).one() == 1
        stored = by_key(session, "birthday:1")
        assert stored is not None and stored.text == "政治生日快乐" and stored.status == "pending"
