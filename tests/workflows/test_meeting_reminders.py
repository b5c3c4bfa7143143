"""A meeting arranged in chat is reminded by the schedules job, and a move from chat tells those reminded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.core.clock import SHANGHAI
from schedules import reminders
from storage.db import session_scope
from storage.models import ChatBinding, Delivery, DeliveryStatus
from tests.fakes.clock import FakeClock
from tests.workflows.conftest import Chat


def _deliveries(engine: Engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)))


def test_chat_meeting_gets_reminded_and_moved(
    chat_as: Callable[..., Chat], engine: Engine, clock: FakeClock, district: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        session.add(
            ChatBinding(channel="console", account="local", chat_id="grp-1", org_id=district["第一党支部"])
        )
    secretary = chat_as("王书记")
    secretary.say("安排 主题党日 11月25日 15:00 社区党群服务中心 主题：学习全会精神")
    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI))
    with session_scope(engine) as session:
        assert reminders.run(clock.now(), session=session) >= 1
    (reminder,) = _deliveries(engine)
    assert reminder.chat_id == "grp-1" and "主题党日" in reminder.text and "社区党群服务中心" in reminder.text
    with session_scope(engine) as session:  # the sender delivered it
        row = session.get(Delivery, reminder.id)
        assert row is not None
        row.status = DeliveryStatus.SENT
    answer = secretary.say("改期 主题党日 改到 11月27日 15:00")
    assert "改到2026年11月27日（周五）15:00" in answer and "通知" in answer
    notices = [d for d in _deliveries(engine) if d.id != reminder.id]
    assert len(notices) == 1 and notices[0].chat_id == "grp-1" and "改至" in notices[0].text
