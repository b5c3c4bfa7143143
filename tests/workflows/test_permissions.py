"""Who manages what: the pure rules of handlers/permissions.py."""

from __future__ import annotations

import pytest

from handlers.permissions import Actor, can_manage_anything, manages, may_query_members, quorum_met, votes
from storage.models import MemberStatus, Role

BRANCH, OTHER_BRANCH, TOP = 2, 3, 1
LINEAGE = [BRANCH, TOP]  # the branch, then its 党工委
OTHER = [OTHER_BRANCH, TOP]


def actor(role: Role, home: int = BRANCH, status: MemberStatus = MemberStatus.FULL) -> Actor:
    return Actor(member_id=9, role=role, status=status, home_org_id=home, home_is_branch=home != TOP)


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.DEPUTY_SECRETARY, Role.ORGANIZATION])
def test_branch_leaders_manage_their_own_branch_only(role: Role) -> None:
    assert manages(actor(role), LINEAGE)
    assert not manages(actor(role), OTHER)
    assert not manages(actor(role), [TOP])


@pytest.mark.parametrize(
    "role", [Role.MEMBER, Role.GROUP_LEADER, Role.PUBLICITY, Role.DISCIPLINE, Role.COMMITTEE]
)
def test_other_branch_roles_do_not_manage(role: Role) -> None:
    assert not manages(actor(role), LINEAGE)
    assert not can_manage_anything(actor(role))


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.ORGANIZATION, Role.COMMITTEE])
def test_upper_committee_manages_every_branch_below(role: Role) -> None:
    staff = actor(role, home=TOP)
    assert manages(staff, LINEAGE) and manages(staff, OTHER) and manages(staff, [TOP])
    assert not manages(staff, [7, 8])  # another district


def test_ordinary_members_of_an_upper_organization_do_not_manage() -> None:
    assert not manages(actor(Role.MEMBER, home=TOP), LINEAGE)


def test_transferred_members_and_strangers_have_no_rights() -> None:
    gone = actor(Role.SECRETARY, status=MemberStatus.TRANSFERRED_OUT)
    assert not manages(gone, LINEAGE) and not may_query_members(gone) and not can_manage_anything(gone)
    assert not manages(None, LINEAGE) and not may_query_members(None)
    assert may_query_members(actor(Role.MEMBER, status=MemberStatus.PROBATIONARY))


def test_voting_and_quorum() -> None:
    assert votes(MemberStatus.FULL) and not votes(MemberStatus.PROBATIONARY)
    assert quorum_met(3, 4) and not quorum_met(2, 4) and quorum_met(3, 5) and not quorum_met(0, 0)
