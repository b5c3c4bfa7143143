"""Who may do what, from roster roles and the organization tree (pure: no database, no clock).

书记 / 副书记 / 组织委员 manage their own branch. The committee of a higher organization
(党委, 党工委, 党总支 …) manages every branch below it. Members may query their own
records and meetings; unbound strangers get only public knowledge answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.models import MemberStatus, Role

BRANCH_MANAGERS = frozenset({Role.SECRETARY, Role.DEPUTY_SECRETARY, Role.ORGANIZATION})
# Above branch level every committee member is staff of the organization.
UPPER_MANAGERS = BRANCH_MANAGERS | {Role.PUBLICITY, Role.DISCIPLINE, Role.COMMITTEE}
COMMITTEE_ROLES = UPPER_MANAGERS


@dataclass(frozen=True, slots=True)
class Actor:
    """The roster facts permissions depend on."""

    member_id: int
    role: str
    status: str
    home_org_id: int  # the organization the member belongs to
    home_is_branch: bool  # a 党支部 (or 网格党支部) rather than a higher organization


def manages(actor: Actor | None, target_lineage: Sequence[int]) -> bool:
    """May ``actor`` run the organization whose lineage (itself first, then its ancestors) is given?"""
    if actor is None or not target_lineage or actor.status == MemberStatus.TRANSFERRED_OUT:
        return False
    if actor.home_is_branch:
        return actor.role in BRANCH_MANAGERS and actor.home_org_id == target_lineage[0]
    return actor.role in UPPER_MANAGERS and actor.home_org_id in target_lineage


def can_manage_anything(actor: Actor | None) -> bool:
    """Holds a managing role at all (used to pick a friendlier refusal)."""
    if actor is None or actor.status == MemberStatus.TRANSFERRED_OUT:
        return False
    return actor.role in (BRANCH_MANAGERS if actor.home_is_branch else UPPER_MANAGERS)


def may_query_members(actor: Actor | None) -> bool:
    """Names, phones and dates of members are for bound members only, never strangers."""
    return actor is not None and actor.status != MemberStatus.TRANSFERRED_OUT


def votes(status: str) -> bool:
    """预备党员 have no vote (docs/domain-rules.md §A4); only 正式党员 count for a 党员大会 quorum."""
    return status == MemberStatus.FULL


def quorum_met(present_voters: int, voters: int) -> bool:
    """More than half of the members with voting rights must attend.

    See 条例 第十一条 and docs/domain-rules.md §A1.
    """
    return voters > 0 and present_voters * 2 > voters
