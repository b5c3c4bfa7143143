"""Queries over the organization tree. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from bot.core.errors import ZhibuError
from storage.models import Organization, OrgKind


def by_name(session: Session, name: str) -> list[Organization]:
    return list(session.exec(select(Organization).where(Organization.name == name)))


def get_or_create(
    session: Session, *, name: str, kind: str, parent_id: int | None
) -> tuple[Organization, bool]:
    found = session.exec(
        select(Organization).where(Organization.name == name, Organization.parent_id == parent_id)
    ).first()
    if found is not None:
        return found, False
    org = Organization(name=name, kind=kind, parent_id=parent_id)
    session.add(org)
    session.flush()
    return org, True


def children(session: Session, parent_id: int | None) -> list[Organization]:
    return list(
        session.exec(
            select(Organization).where(Organization.parent_id == parent_id).order_by(col(Organization.id))
        )
    )


def descendants(session: Session, org_id: int) -> list[Organization]:
    """Every organization below ``org_id`` (not itself), breadth first."""
    found: list[Organization] = []
    frontier = [org_id]
    while frontier:
        level = list(session.exec(select(Organization).where(Organization.parent_id.in_(frontier))))  # type: ignore[union-attr]
        found.extend(level)
        frontier = [o.id for o in level if o.id is not None]
    return found


def ancestors(session: Session, org: Organization) -> list[Organization]:
    """From the parent up to the root."""
    chain: list[Organization] = []
    current = org
    while current.parent_id is not None:
        parent = session.get(Organization, current.parent_id)
        if parent is None:
            break
        chain.append(parent)
        current = parent
    return chain


def branch_of(session: Session, org: Organization) -> Organization:
    """The 党支部 an organization belongs to (itself for a branch, the parent for a 党小组)."""
    if OrgKind(org.kind).is_group and org.parent_id is not None:
        parent = session.get(Organization, org.parent_id)
        if parent is not None:
            return parent
    return org


def branches_under(session: Session, org_id: int) -> list[Organization]:
    """The branches at or below ``org_id``: where guides and broadcasts land."""
    root = session.get(Organization, org_id)
    nodes: Iterable[Organization] = ([root] if root else []) + descendants(session, org_id)
    return [o for o in nodes if OrgKind(o.kind).is_branch]


def roots(session: Session) -> list[Organization]:
    return children(session, None)


class OrgNotFound(ZhibuError):
    pass


def resolve(session: Session, ref: str) -> Organization:
    """Find an organization by name, or by a path such as "某街道党工委/第一党支部" when names repeat."""
    parts = [p.strip() for p in ref.replace("／", "/").split("/") if p.strip()]
    if not parts:
        raise OrgNotFound("组织名称为空 / empty organization name")
    candidates = by_name(session, parts[-1])
    if len(parts) > 1:
        candidates = [
            c
            for c in candidates
            if [a.name for a in reversed(ancestors(session, c))][-(len(parts) - 1) :] == parts[:-1]
        ]
    if not candidates:
        raise OrgNotFound(f"找不到组织“{ref}” / no organization named {ref!r}")
    if len(candidates) > 1:
        paths = ["/".join([a.name for a in reversed(ancestors(session, c))] + [c.name]) for c in candidates]
        raise OrgNotFound(f"“{ref}”有重名，请写完整路径 / ambiguous, use a path: " + "；".join(paths))
    return candidates[0]
