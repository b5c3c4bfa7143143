"""The audit trail of privileged actions: who, what, when, from which chat. The caller owns the transaction."""

from __future__ import annotations

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
    session: Session, *, org_id: int | None = None, since: datetime | None = None, limit: int = 200
) -> list[tuple[AuditLog, str, str]]:
    """Newest first, with the actor's and the organization's names ("" when unknown)."""
    query = select(AuditLog)
    if org_id is not None:
        ids = [org_id] + [o.id for o in descendants(session, org_id) if o.id is not None]
        query = query.where(col(AuditLog.org_id).in_(ids))
    if since is not None:
        query = query.where(AuditLog.at >= since)
    rows = list(session.exec(query.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).limit(limit)))
    result: list[tuple[AuditLog, str, str]] = []
    for row in rows:
        member = session.get(Member, row.member_id) if row.member_id else None
        org = session.get(Organization, row.org_id) if row.org_id else None
        result.append((row, member.name if member else "", org.name if org else ""))
    return result
