"""The monthly guide reaches every bound chat of every branch below its issuer once; later items once too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.core.clock import SHANGHAI
from schedules import guides
from storage.guides import GuideDraft, ItemDraft, store_guide
from storage.models import Delivery
from tests.schedules import world as demo

DISTRICT = GuideDraft(
    "十二月清单", "三定四有", (ItemDraft("学习全会精神", "集中学习", "支部党员大会", "12月20日前"),)
)
OWN = GuideDraft("支部补充", "", (ItemDraft("冬季送温暖", "走访困难党员", "主题党日"),))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def test_delivered_on_the_first_at_nine_once_and_supplemented_once(engine: Engine) -> None:
    with Session(engine) as session:
        w = demo.build(session)
        store_guide(
            session,
            org_id=w.district.id or 0,
            month="2026-12",
            draft=DISTRICT,
            now=datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI),
        )
        assert guides.run(at(1, 8, 55), session=session) == 0
        assert guides.run(at(1, 9, 0), session=session) == 2
        assert guides.run(at(1, 9, 5), session=session) == 0
        rows = session.exec(select(Delivery).order_by(Delivery.id)).all()
        assert {d.chat_id for d in rows} == {"chat-a", "chat-b"}
        assert rows[0].markdown is not None and "学习全会精神" in rows[0].text

        store_guide(session, org_id=w.branch_a.id or 0, month="2026-12", draft=OWN, now=at(3, 23, 0))
        assert guides.run(at(3, 23, 5), session=session) == 1
        assert guides.run(at(3, 23, 10), session=session) == 0
        extra = session.exec(select(Delivery).order_by(Delivery.id.desc())).first()  # type: ignore[union-attr]
        assert extra is not None and extra.chat_id == "chat-a"
        assert "补充" in extra.text and "冬季送温暖" in extra.text and "学习全会精神" not in extra.text
        assert extra.next_try_at == at(4, 8, 0)  # quiet hours: waits for the morning


def test_a_guide_published_mid_month_goes_out_at_once_with_the_branch_items_below(engine: Engine) -> None:
    with Session(engine) as session:
        w = demo.build(session)
        store_guide(session, org_id=w.branch_a.id or 0, month="2026-12", draft=OWN, now=at(1, 0))
        store_guide(session, org_id=w.district.id or 0, month="2026-12", draft=DISTRICT, now=at(10, 15))
        assert guides.run(at(10, 15, 5), session=session) == 2
        text = session.exec(select(Delivery.text).where(Delivery.chat_id == "chat-a")).one()
        assert text.index("学习全会精神") < text.index("冬季送温暖")
