"""双报到: which members reported to which community, and the community an organization belongs to.

A report names the 社区党委 or one of its 网格党支部 / 微网格党小组; the home branch
(组织关系) never changes with it. The caller owns the transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core.errors import ZhibuError
from storage.models import CommunityReport, Member, MemberStatus, Organization, OrgKind
from storage.orgs import ancestors, descendants

COMMUNITY_KINDS = (OrgKind.COMMUNITY_COMMITTEE, OrgKind.GRID_BRANCH, OrgKind.MICRO_GRID_GROUP)


class AlreadyReported(ZhibuError):
    """The member already has an open report; end it first (one community of residence)."""


def community_of(session: Session, org: Organization) -> Organization | None:
    """The 社区党委 an organization is, or sits under; None outside any community."""
    for node in [org, *ancestors(session, org)]:
        if node.kind == OrgKind.COMMUNITY_COMMITTEE:
            return node
    return None


def community_ids(session: Session, community: Organization) -> list[int]:
    """The community and its grids, as ids: where a report to it may point."""
    assert community.id is not None
    return [community.id] + [o.id for o in descendants(session, community.id) if o.id is not None]


def find_places(session: Session, words: str) -> list[Organization]:
    """Communities and grids whose name contains ``words`` (和平 finds 和平社区党委 and its grids);
    a name given in full, or without its 党委, finds only that one."""
    needle = words.strip().removesuffix("党委")
    query = select(Organization).where(col(Organization.kind).in_(list(COMMUNITY_KINDS)))
    if needle:
        query = query.where(col(Organization.name).contains(needle))
    found = list(session.exec(query.order_by(col(Organization.id))))
    exact = [o for o in found if o.name in (words.strip(), needle + "党委")]
    return exact or found


def open_report(session: Session, member_id: int) -> CommunityReport | None:
    query = select(CommunityReport).where(
        CommunityReport.member_id == member_id, col(CommunityReport.ended_at).is_(None)
    )
    return session.exec(query).first()


def start(
    session: Session,
    *,
    member_id: int,
    org_id: int,
    now: datetime,
    skills: str = "",
    assigned_by: int | None = None,
) -> CommunityReport:
    """Open a report; AlreadyReported when one is open (checked by the database, not only here)."""
    if open_report(session, member_id) is not None:
        raise AlreadyReported("已经报到过了，先结束原来的报到 / end the open report first")
    report = CommunityReport(
        member_id=member_id, org_id=org_id, skills=skills[:200], started_at=now, assigned_by=assigned_by
    )
    try:
        with session.begin_nested():
            session.add(report)
    except IntegrityError as exc:
        raise AlreadyReported("已经报到过了 / already reported") from exc
    return report


def end(session: Session, *, member_id: int, now: datetime) -> CommunityReport | None:
    """End the open report (搬家, or the community lets them go); None when there was none."""
    report = open_report(session, member_id)
    if report is not None:
        report.ended_at = now
        session.add(report)
        session.flush()
    return report


@dataclass(frozen=True, slots=True)
class Reported:
    report: CommunityReport
    member: Member
    place: Organization  # the community or grid reported to
    home: Organization  # the home branch


def reported_to(session: Session, org_ids: list[int]) -> list[Reported]:
    """Open reports to these organizations, with who and from where, oldest first."""
    if not org_ids:
        return []
    rows = session.exec(
        select(CommunityReport, Member)
        .join(Member, col(Member.id) == CommunityReport.member_id)
        .where(
            col(CommunityReport.org_id).in_(org_ids),
            col(CommunityReport.ended_at).is_(None),
            Member.status != MemberStatus.TRANSFERRED_OUT,
        )
        .order_by(col(CommunityReport.started_at), col(CommunityReport.id))
    ).all()
    found: list[Reported] = []
    for report, member in rows:
        place, home = session.get(Organization, report.org_id), session.get(Organization, member.org_id)
        assert place is not None and home is not None
        found.append(Reported(report, member, place, home))
    return found


def counts(session: Session, org_ids: list[int]) -> tuple[Counter[str], Counter[str]]:
    """Open reports below some organizations: per community reported to, and per home branch."""
    per_community: Counter[str] = Counter()
    per_home: Counter[str] = Counter()
    for row in reported_to(session, org_ids):
        community = community_of(session, row.place)
        per_community[(community or row.place).name] += 1
        per_home[row.home.name] += 1
    return per_community, per_home
