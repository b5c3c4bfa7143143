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
from storage.demo import GRID, OFFICE
from storage.members import by_name
from storage.models import Delivery, DeliveryStatus, Member
from storage.orgs import by_name as org_named
from storage.rules import add_months
from tests.web.conftest import DISTRICT, MEMBER, SECRETARY, Site


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


def test_a_district_with_hundreds_of_birthdays_lists_the_milestones_and_each_branch_in_full(
    site: Site, engine: Engine
) -> None:
    today = site.clock.now().astimezone(SHANGHAI).date()
    with session_scope(engine) as session:
        for n, branch in enumerate([OFFICE, GRID] * 60):
            joined = date(today.year - (10 if n == 7 else 3 + n % 7), today.month, 1 + n % 28)
            member = Member(name=f"过生日{n}", org_id=org_named(session, branch)[0].id or 0, joined_on=joined)
            member.sync_join_md()
            session.add(member)
    with site.login(DISTRICT) as client:
        crowded = client.get("/console/birthdays").text
        office = org_named_id(engine, OFFICE)
        one_branch = client.get(f"/console/birthdays?branch={office}").text
    this_month = crowded[: crowded.index(f'id="birthdays-{add_months(today.replace(day=1), 1):%Y-%m}"')]
    assert "只列出逢十和光荣在党50年" in this_month and "过生日7</strong>" in this_month
    assert "过生日0</strong>" not in this_month  # 3 years: counted in the heading, not listed
    assert "过生日0</strong>" in one_branch and "过生日1</strong>" not in one_branch  # 1: the grid's
    assert "只列出" not in one_branch


def org_named_id(engine: Engine, name: str) -> int:
    with session_scope(engine) as session:
        return org_named(session, name)[0].id or 0
