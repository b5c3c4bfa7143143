"""The console's 政治生日 page: this month and next, milestones, and who was greeted when."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import Engine
from sqlmodel import select

from bot.core.clock import SHANGHAI
from handlers.birthdays import queue_day
from handlers.quiet import QuietHours
from storage.db import session_scope
from storage.members import by_name
from storage.models import Delivery, DeliveryStatus
from tests.web.conftest import MEMBER, SECRETARY, Site


def test_this_month_and_next_with_milestones_and_greetings(site: Site, engine: Engine) -> None:
    with session_scope(engine) as session:
        for name, joined, full in (
            (MEMBER, date(1975, 11, 20), date(1976, 11, 20)),  # 入党51周年, 党龄 reaches 50
            (SECRETARY, date(2016, 11, 25), date(2017, 11, 25)),  # 入党10周年, in two days
        ):
            member = by_name(session, name)[0]
            member.joined_on, member.full_on = joined, full
            member.sync_join_md()
            session.add(member)
        session.flush()
        sent_at = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
        queue_day(session, day=date(2026, 11, 20), now=sent_at, quiet=QuietHours())
        for row in session.exec(select(Delivery).where(Delivery.kind == "birthday")):
            row.status, row.sent_at = DeliveryStatus.SENT, sent_at
    with site.login(SECRETARY) as client:
        page = client.get("/console/birthdays").text
    november = page[page.index('id="birthdays-2026-11"') : page.index('id="birthdays-2026-12"')]

    def row(name: str) -> str:
        found = re.search(rf"<tr>\s*<td data-label=\"姓名\"><strong>{name}</strong>.*?</tr>", november, re.S)
        assert found is not None
        return found.group(0)

    glory, decade = row(MEMBER), row(SECRETARY)
    assert "入党51周年" in glory and "光荣在党50年" in glory and "逢十" not in glory
    assert "群 11-20 09:00" in glory  # greeted in the branch's group on the day
    assert "入党10周年" in decade and "逢十" in decade and "群 到日发送" in decade
    assert "2026年12月" in page
