from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.db import session_scope
from storage.demo import ACTING_AS, OFFICE, build_demo
from storage.members import in_org
from storage.models import Meeting, Member, MemberStatus, Organization, OrgKind, Role
from storage.orgs import ancestors, children, roots
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
    """The demo must pass the same checks as an imported roster (domain-rules.md §A4)."""
    with Session(world) as session:
        for m in session.exec(select(Member)):
            assert m.joined_on <= date(2026, 11, 23)
            if m.full_on:
                assert probation_end(m.joined_on) <= m.full_on <= latest_possible_full_date(m.joined_on), (
                    m.name
                )


def test_a_demo_on_29_february_still_has_a_birthday_today(engine: Engine) -> None:
    with session_scope(engine) as session:
        demo = build_demo(session, today=date(2028, 2, 29))
        assert demo.members[ACTING_AS].joined_on == date(2020, 2, 29)


def test_the_first_branch_has_meetings_around_today(world: Engine) -> None:
    with Session(world) as session:
        office = session.exec(select(Organization).where(Organization.name == OFFICE)).one()
        meetings = list(session.exec(select(Meeting).where(Meeting.org_id == office.id)))
    assert len(meetings) == 3
