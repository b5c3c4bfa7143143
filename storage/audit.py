"""The audit trail of privileged actions: who, what, when, from which chat; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import AuditLog, Member, Organization
from storage.orgs import descendants


def record(
    session: Session,
    *,
    action: str,
    at: datetime,
    member_id: int | None = None,
    org_id: int | None = None,
    channel: str = "",
    chat_id: str = "",
    detail: str = "",
) -> AuditLog:
    entry = AuditLog(
        at=at,
        member_id=member_id,
        org_id=org_id,
        channel=channel,
        chat_id=chat_id,
        action=action,
        detail=detail,
    )
    session.add(entry)
    session.flush()
    return entry


def entries(
    session: Session,
    *,
    org_id: int | None = None,
    org_ids: Sequence[int] | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[tuple[AuditLog, str, str]]:
    """Newest first, with the actor's and the organization's names ("" when unknown), in one query.

    ``org_id``: that organization and everything below it; ``org_ids``: exactly these organizations.
    """
    query = (
        select(AuditLog, Member.name, Organization.name)
        .join(Member, col(Member.id) == col(AuditLog.member_id), isouter=True)
        .join(Organization, col(Organization.id) == col(AuditLog.org_id), isouter=True)
    )
    if org_id is not None:
        org_ids = [org_id] + [o.id for o in descendants(session, org_id) if o.id is not None]
    if org_ids is not None:
        query = query.where(col(AuditLog.org_id).in_(list(org_ids)))
    if action:
        query = query.where(col(AuditLog.action) == action)
    if since is not None:
        query = query.where(AuditLog.at >= since)
    query = query.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).offset(offset).limit(limit)
    return [(row, who or "", org or "") for row, who, org in session.exec(query)]


def actions(session: Session) -> list[str]:
    """Every action the log holds, for a filter's choices."""
    return sorted(session.exec(select(AuditLog.action).distinct()))
