"""Monthly guides (组织生活清单): store or replace one per organization and month, and assemble what a
branch receives: the guides of every organization above it, then the branch's own items.
The caller owns the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, delete, select

from bot.core.errors import ZhibuError
from storage.models import Guide, GuideItem, Organization
from storage.orgs import ancestors

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class BadMonth(ZhibuError):
    pass


def check_month(month: str) -> str:
    """ "2026-12" (also accepts 2026-1 and 2026/12) → "2026-12"; BadMonth otherwise."""
    text = month.strip().replace("/", "-").replace("年", "-").rstrip("月")
    parts = text.split("-")
    if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
        text = f"{int(parts[0]):04d}-{int(parts[1]):02d}"
    if not MONTH.match(text):
        raise BadMonth(f"月份“{month}”格式不对，应为 2026-12 / month must look like 2026-12")
    return text


@dataclass(frozen=True, slots=True)
class ItemDraft:
    topic: str  # 主题
    content: str = ""  # 内容
    form: str = ""  # 形式
    due: str = ""  # 时间要求


@dataclass(frozen=True, slots=True)
class GuideDraft:
    title: str
    requirements: str = ""
    items: tuple[ItemDraft, ...] = field(default_factory=tuple)
    month: str | None = None  # when the file names its month


@dataclass(frozen=True, slots=True)
class IssuedGuide:
    guide: Guide
    issuer: Organization
    items: tuple[GuideItem, ...]


def store_guide(
    session: Session,
    *,
    org_id: int,
    month: str,
    draft: GuideDraft,
    now: datetime,
    only: Sequence[int] = (),
    at: datetime | None = None,
) -> tuple[Guide, bool]:
    """Create, or replace the content of, ``org_id``'s guide for ``month``; True when it replaced one.

    ``only``: the branches below ``org_id`` it is for (none named: every one). ``at``: when it is
    published, a moment ahead for a scheduled one (default ``now``); nobody receives or sees it before.
    A replacement of a guide already published keeps its first publication time: branches that already
    received the month's guide are not sent it again.
    """
    guide = month_guide(session, org_id, month)
    replaced = guide is not None
    if guide is None:
        guide = Guide(org_id=org_id, month=month, title=draft.title, published_at=at or now)
    else:
        if guide.published_at > now:  # still scheduled: the new time, or at once
            guide.published_at = at or now
        session.execute(delete(GuideItem).where(col(GuideItem.guide_id) == guide.id))
    guide.title, guide.requirements = draft.title, draft.requirements
    guide.only_branches = ",".join(str(i) for i in sorted(only))
    session.add(guide)
    session.flush()
    assert guide.id is not None
    for position, item in enumerate(draft.items, start=1):
        session.add(
            GuideItem(
                guide_id=guide.id,
                position=position,
                topic=item.topic,
                content=item.content,
                form=item.form,
                due=item.due,
            )
        )
    session.flush()
    return guide, replaced


def reaches(guide: Guide, branch_id: int | None) -> bool:
    """Whether ``guide`` is for the branch (below its issuer, and among the chosen if it names some)."""
    return not guide.only_branches or str(branch_id) in guide.only_branches.split(",")


def month_guide(session: Session, org_id: int, month: str) -> Guide | None:
    return session.exec(select(Guide).where(Guide.org_id == org_id, Guide.month == month)).first()


def guides_for_month(session: Session, month: str, *, now: datetime | None = None) -> list[Guide]:
    """The month's guides; with ``now``, only those published by then (not those scheduled later)."""
    query = select(Guide).where(Guide.month == month)
    if now is not None:
        query = query.where(Guide.published_at <= now)
    return list(session.exec(query.order_by(col(Guide.id))))


def scheduled(session: Session, org_id: int, *, now: datetime) -> list[Guide]:
    """``org_id``'s guides waiting for their publication time, the soonest first."""
    query = select(Guide).where(Guide.org_id == org_id, Guide.published_at > now)
    return list(session.exec(query.order_by(col(Guide.published_at), col(Guide.id))))


def withdraw(session: Session, guide: Guide) -> None:
    """Drop a guide nobody has received yet (a scheduled one) with its items."""
    session.execute(delete(GuideItem).where(col(GuideItem.guide_id) == guide.id))
    session.delete(guide)
    session.flush()


def items_of(session: Session, guide_id: int) -> tuple[GuideItem, ...]:
    query = (
        select(GuideItem)
        .where(GuideItem.guide_id == guide_id)
        .order_by(col(GuideItem.position), col(GuideItem.id))
    )
    return tuple(session.exec(query))


def effective(
    session: Session, *, branch: Organization, month: str, now: datetime | None = None
) -> list[IssuedGuide]:
    """The guides that reach ``branch`` for ``month``, the highest issuer first and the branch's own last.

    With ``now``, only those published by then (not those scheduled later).
    """
    chain = [*reversed(ancestors(session, branch)), branch]
    ids = [o.id for o in chain if o.id is not None]
    query = select(Guide).where(Guide.month == month, col(Guide.org_id).in_(ids))
    if now is not None:
        query = query.where(Guide.published_at <= now)
    found = {g.org_id: g for g in session.exec(query) if reaches(g, branch.id)}
    return [
        IssuedGuide(found[o.id], o, items_of(session, found[o.id].id or 0)) for o in chain if o.id in found
    ]
