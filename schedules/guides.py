"""Deliver the month's guides: from the configured day and time (default the 1st, 09:00), or at once when a
guide is published later, every bound chat of every branch below an issuer gets it once per month."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.clock import SHANGHAI
from handlers.guide import render
from handlers.outbound import queue_all
from schedules.context import run_job
from schedules.settings import ScheduleSettings
from storage import audience
from storage.guides import effective, guides_for_month
from storage.models import Delivery, Organization
from storage.orgs import branches_under

JOB_ID = "guides"
KIND = "guide"


def release_time(month: str, settings: ScheduleSettings) -> datetime:
    year, mon = (int(p) for p in month.split("-"))
    return datetime(year, mon, settings.guide_day, settings.guide_at.hour, settings.guide_at.minute, tzinfo=SHANGHAI)


def _delivered_keys(session: Session, month: str) -> set[str]:
    """This month's guide deliveries already queued, so a frequent run skips rendering for those branches."""
    query = select(Delivery.dedupe_key).where(Delivery.kind == KIND, col(Delivery.dedupe_key).startswith(f"{KIND}:{month}:"))
    return set(session.exec(query))


def run(now: datetime, *, session: Session, settings: ScheduleSettings | None = None) -> int:
    cfg = settings or ScheduleSettings()
    month = now.astimezone(SHANGHAI).strftime("%Y-%m")
    if now < release_time(month, cfg):
        return 0
    delivered = _delivered_keys(session, month)
    branches: dict[int, Organization] = {}
    for guide in guides_for_month(session, month):
        branches.update((b.id, b) for b in branches_under(session, guide.org_id) if b.id is not None)
    queued = 0
    for branch_id, branch in sorted(branches.items()):
        chats = audience.chats_of(session, [branch_id])
        if all(audience.dedupe_key(KIND, month, branch_id, target=t) in delivered for t in chats):
            continue  # also true when the branch has no bound chat
        reply = render(month, branch, effective(session, branch=branch, month=month))
        queued += queue_all(session, targets=chats, reply=reply, key_parts=(KIND, month, branch_id), kind=KIND,
                            not_before=cfg.quiet.release(now), org_id=branch_id)
    return queued


def job() -> int:
    return run_job(JOB_ID, run)
