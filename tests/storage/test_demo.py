from __future__ import annotations

from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.core.clock import SHANGHAI
from handlers import ledger, texts
from handlers.attendance import roll
from storage.attendance import expected
from storage.db import session_scope
from storage.demo import ACTING_AS, BIRTHDAY_TOMORROW, COMMUNITY, OFFICE, build_demo
from storage.guides import effective
from storage.members import in_org
from storage.models import (
    ChatBinding,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Member,
    MemberStatus,
    Organization,
    OrgKind,
    Role,
)
from storage.orgs import ancestors, branches_under, children, roots
from storage.rules import latest_possible_full_date, next_anniversary, party_standing, probation_end


@pytest.fixture
def world(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        build_demo(session, today=date(2026, 11, 23))
    return engine


def test_the_demo_is_a_street_committee_with_three_branches_and_their_groups(world: Engine) -> None:
    with Session(world) as session:
        (top,) = roots(session)
        assert top.kind == OrgKind.WORKING_COMMITTEE
        branches = [o for o in session.exec(select(Organization)) if OrgKind(o.kind).is_branch]
        assert len(branches) == 3
        grid = next(b for b in branches if b.kind == OrgKind.GRID_BRANCH)
        assert [a.kind for a in ancestors(session, grid)] == [
            OrgKind.COMMUNITY_COMMITTEE,
            OrgKind.WORKING_COMMITTEE,
        ]
        for branch in branches:
            groups = children(session, branch.id)
            assert len(groups) == 2 and all(OrgKind(g.kind).is_group for g in groups)
            roles = {m.role for m in in_org(session, branch.id)}
            assert {Role.SECRETARY, Role.ORGANIZATION} <= roles
        assert 38 <= len(in_org(session, top.id)) <= 45


def test_the_special_members_exist(world: Engine) -> None:
    today = date(2026, 11, 23)
    with Session(world) as session:
        people = list(session.exec(select(Member)))
    by_name = {m.name: m for m in people}
    assert len(by_name) == len(people)  # names are unique, so --as NAME always works
    assert next_anniversary(by_name[ACTING_AS].joined_on, today) == today
    assert by_name[ACTING_AS].role == Role.SECRETARY
    assert any(m.joined_on.month == 2 and m.joined_on.day == 29 for m in people)
    assert any((party_standing(m.full_on, today) or 0) >= 50 for m in people)
    probationers = [m for m in people if m.status == MemberStatus.PROBATIONARY]
    assert probationers and all(
        m.full_on is None and probation_end(m.joined_on) > today for m in probationers
    )
    assert all(m.phone and m.phone.startswith("1390000") for m in people)
    assert all((m.join_month, m.join_day) == (m.joined_on.month, m.joined_on.day) for m in people)


def test_every_date_obeys_the_roster_rules(world: Engine) -> None:
    """The demo must pass the same checks as an imported roster (docs/domain-rules.md §A4)."""
    with Session(world) as session:
        for m in session.exec(select(Member)):
            assert m.joined_on <= date(2026, 11, 23)
            if m.full_on:
                assert probation_end(m.joined_on) <= m.full_on <= latest_possible_full_date(m.joined_on), (
                    m.name
                )


@pytest.mark.parametrize(
    ("today", "name", "joined"),
    [
        (date(2028, 2, 29), ACTING_AS, date(2020, 2, 29)),  # a demo on 29 February still has a birthday today
        (date(2028, 2, 28), BIRTHDAY_TOMORROW, date(2016, 2, 29)),  # and the day before, one tomorrow
    ],
)
def test_29_february_birthdays_fall_on_the_day(engine: Engine, today: date, name: str, joined: date) -> None:
    with session_scope(engine) as session:
        demo = build_demo(session, today=today)
        assert demo.members[name].joined_on == joined


def test_the_first_branch_has_meetings_around_today(world: Engine) -> None:
    with Session(world) as session:
        office = session.exec(select(Organization).where(Organization.name == OFFICE)).one()
        meetings = list(session.exec(select(Meeting).where(Meeting.org_id == office.id)))
    meetings = [m for m in meetings if m.starts_at.date() >= date(2026, 11, 17)]
    assert len(meetings) == 4
    tomorrow = [m for m in meetings if m.starts_at.date() == date(2026, 11, 24)]
    assert [m.kind for m in tomorrow] == [MeetingKind.GENERAL_ASSEMBLY]  # the whole branch: its group hears


def test_tomorrow_brings_a_political_birthday_and_this_month_has_a_guide(world: Engine) -> None:
    today = date(2026, 11, 23)
    with Session(world) as session:
        member = session.exec(select(Member).where(Member.name == BIRTHDAY_TOMORROW)).one()
        office = session.exec(select(Organization).where(Organization.name == OFFICE)).one()
        assert next_anniversary(member.joined_on, today) == today + timedelta(days=1)
        assert member.org_id == office.id and member.status == MemberStatus.FULL
        for month in ("2026-11", "2026-12"):  # the demo's month, and the next for a longer fast-forward
            (guide,) = effective(session, branch=office, month=month)
            assert guide.items and guide.issuer.kind == OrgKind.WORKING_COMMITTEE


def test_every_branch_and_the_community_get_a_group_chat_on_the_given_channel(engine: Engine) -> None:
    with session_scope(engine) as session:
        demo = build_demo(session, today=date(2026, 11, 23), chats=("console", "local"))
        bound = list(session.exec(select(ChatBinding)))
        community = demo.orgs[COMMUNITY].id
    assert sorted(b.org_id for b in bound) == sorted([*(b.id for b in demo.branches), community])
    assert {(b.channel, b.account, b.is_group) for b in bound} == {("console", "local", True)}
    assert len({b.chat_id for b in bound}) == 4


def test_without_a_channel_no_chat_is_bound(world: Engine) -> None:
    with Session(world) as session:
        assert not list(session.exec(select(ChatBinding)))


def test_every_branch_kept_its_meetings_this_year_with_plausible_attendance(world: Engine) -> None:
    """The demo's 台账 reads like a branch that keeps its rules: each month up to last met, a roll at
    every held meeting, and nobody expected at a meeting held before they joined the Party."""
    now = datetime(2026, 11, 23, 10, tzinfo=SHANGHAI)
    with Session(world) as session:
        for branch in branches_under(session, roots(session)[0].id):
            book = load_workbook(BytesIO(ledger.build(session, org=branch, year=2026, now=now)))
            months = {
                row[0]: row[-1]
                for row in book[texts.LEDGER_SUMMARY_SHEET].iter_rows(values_only=True)
                if isinstance(row[0], str) and row[0].endswith("月") and len(row) > 2
            }
            assert [months[f"{m}月"] for m in range(1, 11)] == [texts.LEDGER_OK] * 10, branch.name
            for meeting in session.exec(select(Meeting).where(Meeting.status == MeetingStatus.HELD)):
                present = roll(session, meeting).present
                assert len(present) >= len(expected(session, meeting)) * 0.6, (meeting.kind, meeting.id)
                assert all(m.joined_on <= meeting.starts_at.date() for m in present)
