"""Queue one reply to many targets, each with its own dedupe key (``part:...:channel:account:chat``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot.core.messages import Reply, Target
from storage.audience import dedupe_key
from storage.outbox import enqueue


def queue_all(
    session: Session,
    *,
    targets: Sequence[Target],
    reply: Reply,
    key_parts: Sequence[object],
    kind: str,
    not_before: datetime | None = None,
    org_id: int | None = None,
    meeting_id: int | None = None,
    batch: str | None = None,
) -> int:
    """How many rows were new; a target already holding this key is left alone."""
    queued = 0
    for target in dict.fromkeys(targets):
        queued += enqueue(
            session,
            target=target,
            reply=reply,
            dedupe_key=dedupe_key(*key_parts, target=target),
            kind=kind,
            not_before=not_before,
            org_id=org_id,
            meeting_id=meeting_id,
            batch=batch,
        )
    return queued
