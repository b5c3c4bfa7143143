"""Queries over members and their chat identities. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, exists
from sqlmodel import Session, col, func, select

from storage.models import Identity, Member, MemberStatus
from storage.orgs import descendants


def by_name(session: Session, name: str) -> list[Member]:
    return list(session.exec(select(Member).where(Member.name == name).order_by(col(Member.id))))


def by_phone(session: Session, phone: str) -> Member | None:
    return session.exec(select(Member).where(Member.phone == phone)).first()


def status_for(full_on: date | None) -> str:
    """正式党员 once the roster knows the 转正日期, 预备党员 until then."""
    return MemberStatus.FULL if full_on else MemberStatus.PROBATIONARY


def in_org(session: Session, org_id: int | None, *, include_transferred: bool = False) -> list[Member]:
    """Members of ``org_id`` and everything below it (all members when None)."""
    query = select(Member)
    if org_id is not None:
        org_ids = [org_id] + [o.id for o in descendants(session, org_id) if o.id is not None]
        query = query.where(col(Member.org_id).in_(org_ids) | col(Member.group_id).in_(org_ids))
    if not include_transferred:
        query = query.where(Member.status != MemberStatus.TRANSFERRED_OUT)
    return list(session.exec(query.order_by(col(Member.org_id), col(Member.id))))


def _is_identity(channel: str, account: str, external_id: str) -> tuple[ColumnElement[bool], ...]:
    return (
        col(Identity.channel) == channel,
        col(Identity.account) == account,
        col(Identity.external_id) == external_id,
    )


def by_identity(session: Session, *, channel: str, account: str, external_id: str) -> Member | None:
    """The member a chat identity is bound to (transferred out or not), or None."""
    query = select(Member).join(Identity, col(Identity.member_id) == col(Member.id))
    return session.exec(query.where(*_is_identity(channel, account, external_id))).first()


def bind_identity(
    session: Session, *, member: Member, channel: str, account: str, external_id: str
) -> Identity:
    """Link a chat identity to a member, replacing any earlier link of that identity."""
    existing = session.exec(select(Identity).where(*_is_identity(channel, account, external_id))).first()
    if existing is not None:
        existing.member_id = member.id  # type: ignore[assignment]
        return existing
    identity = Identity(channel=channel, account=account, external_id=external_id, member_id=member.id)  # type: ignore[arg-type]
    session.add(identity)
    session.flush()
    return identity


def mask_phone(phone: str | None) -> str:
    """138****1234: enough to recognise, not enough to call."""
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def roster_page(
    session: Session,
    *,
    org_ids: Sequence[int],
    search: str = "",
    status: str | None = None,
    group_id: int | None = None,
    joined_in_month: int | None = None,
    unbound: bool = False,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[Member], int]:
    """One page of the members of ``org_ids`` whose name contains ``search``, and how many in all.

    Narrowed to a 党小组, to those whose 政治生日 falls in ``joined_in_month``, or to those not yet bound.
    """
    where: list[ColumnElement[bool]] = [col(Member.org_id).in_(list(org_ids))]
    if search.strip():
        where.append(col(Member.name).contains(search.strip()))
    if group_id is not None:
        where.append(col(Member.group_id) == group_id)
    if joined_in_month is not None:
        where.append(col(Member.join_month) == joined_in_month)
    if unbound:
        where.append(~exists().where(col(Identity.member_id) == col(Member.id)))
    if status:
        where.append(col(Member.status) == status)
    else:
        where.append(col(Member.status) != MemberStatus.TRANSFERRED_OUT)
    total = int(session.exec(select(func.count()).select_from(Member).where(*where)).one())
    query = select(Member).where(*where).order_by(col(Member.org_id), col(Member.name), col(Member.id))
    return list(session.exec(query.offset(offset).limit(limit))), total


def bound_ids(session: Session, member_ids: Sequence[int]) -> set[int]:
    """Which of these members have bound a chat identity."""
    if not member_ids:
        return set()
    query = select(Identity.member_id).where(col(Identity.member_id).in_(list(member_ids))).distinct()
    return set(session.exec(query))
