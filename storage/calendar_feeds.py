"""Per-organization tokens for subscribable calendar URLs. The caller owns the transaction.

The token is the only secret in the URL a member adds to their phone calendar;
rotating it revokes every copy of the old link.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlmodel import Session, select

from storage.models import CalendarFeed, Organization


def token_for(session: Session, *, org_id: int, now: datetime, rotate: bool = False) -> str:
    """The organization's feed token, created on first use (or replaced when ``rotate``)."""
    feed = session.exec(select(CalendarFeed).where(CalendarFeed.org_id == org_id)).first()
    if feed is None:
        feed = CalendarFeed(org_id=org_id, token="")
    if rotate or not feed.token:
        feed.token = secrets.token_urlsafe(24)
        feed.created_at = now
        session.add(feed)
        session.flush()
    return feed.token


def org_for_token(session: Session, token: str) -> Organization | None:
    if not token or len(token) > 64:
        return None
    feed = session.exec(select(CalendarFeed).where(CalendarFeed.token == token)).first()
    if feed is None or not secrets.compare_digest(feed.token, token):
        return None
    return session.get(Organization, feed.org_id)
