"""What was delivered, looked up by the id a channel returned for it: a console labels each message it shows.

The sender records that id on the outbox row (``Delivery.platform_id``). The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from storage.models import Delivery


def kinds_by_platform_id(session: Session, *, channel: str, platform_ids: Sequence[str]) -> dict[str, str]:
    """The kind of each sent delivery ("birthday", "guide"…), by the id its channel returned for it."""
    if not platform_ids:
        return {}
    query = select(Delivery.platform_id, Delivery.kind).where(
        col(Delivery.channel) == channel, col(Delivery.platform_id).in_(list(platform_ids))
    )
    return {platform_id: kind for platform_id, kind in session.exec(query)}
