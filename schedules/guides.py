"""Deliver the month's guides: from the configured day and time (default the 1st, 09:00), or at once when a
guide is published later, every bound chat of every branch below an issuer gets it once per month. A guide
scheduled for a later moment (``Guide.published_at`` ahead) waits until the first run after it.

A guide published after a branch already received the month's message (e.g. the branch's own items)
follows as a short supplement. Each delivery's ``batch`` records the guide ids it carried.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.core.clock import SHANGHAI
from bot.core.messages import Target
from handlers.guide import render
from handlers.outbound import queue_all
from schedules.context import run_job
from schedules.settings import ScheduleSettings
from storage import audience
from storage.guides import IssuedGuide, effective, guides_for_month, reaches
from storage.models import Delivery, Organization
from storage.orgs import branches_under

JOB_ID = "guides"
KIND = "guide"


def release_time(month: str, settings: ScheduleSettings) -> datetime:
    year, mon = (int(p) for p in month.split("-"))
    return datetime.combine(date(year, mon, settings.guide_day), settings.guide_at, tzinfo=SHANGHAI)


def _batch(month: str, branch_id: int, guides: list[IssuedGuide]) -> str:
    return f"{KIND}:{month}:{branch_id}:" + ",".join(str(g.guide.id) for g in guides)


def _delivered(session: Session, month: str) -> dict[tuple[int, str], set[int]]:
    """(branch id, chat) → the guide ids that chat already has for ``month``."""
    query = select(Delivery.channel, Delivery.account, Delivery.chat_id, Delivery.batch).where(
        Delivery.kind == KIND, col(Delivery.batch).startswith(f"{KIND}:{month}:")
    )
    have: dict[tuple[int, str], set[int]] = defaultdict(set)
    for channel, account, chat_id, batch in session.execute(query):
        _, _, branch, ids = str(batch).split(":", 3)
        have[(int(branch), f"{channel}:{account}:{chat_id}")].update(int(i) for i in ids.split(",") if i)
    return have


def _branches(session: Session, month: str, now: datetime) -> dict[int, Organization]:
    found: dict[int, Organization] = {}
    for guide in guides_for_month(session, month, now=now):
        found.update(
            (b.id, b)
            for b in branches_under(session, guide.org_id)
            if b.id is not None and reaches(guide, b.id)
        )
    return found


def run(now: datetime, *, session: Session, settings: ScheduleSettings | None = None) -> int:
    cfg = settings or ScheduleSettings()
    month = now.astimezone(SHANGHAI).strftime("%Y-%m")
    if now < release_time(month, cfg):
        return 0
    have = _delivered(session, month)
    branches = _branches(session, month, now)
    chats_by_branch: dict[int, list[Target]] = defaultdict(list)
    for b in audience.chat_bindings(session, sorted(branches)):  # one query, not one per branch every run
        chats_by_branch[b.org_id].append(Target(b.channel, b.account, b.chat_id, b.is_group))
    queued = 0
    for branch_id, branch in sorted(branches.items()):
        issued: list[IssuedGuide] | None = None
        for chat in chats_by_branch[branch_id]:
            got = have.get((branch_id, audience.target_key(chat)), set())
            issued = issued if issued is not None else effective(session, branch=branch, month=month, now=now)
            missing = [g for g in issued if g.guide.id not in got]
            if missing:
                queued += _send(session, chat, branch, month, missing, supplement=bool(got), now=now, cfg=cfg)
    return queued


def _send(
    session: Session,
    chat: Target,
    branch: Organization,
    month: str,
    guides: list[IssuedGuide],
    *,
    supplement: bool,
    now: datetime,
    cfg: ScheduleSettings,
) -> int:
    assert branch.id is not None
    key_parts: tuple[object, ...] = (KIND, month, branch.id)
    if supplement:
        key_parts += ("+" + "-".join(str(g.guide.id) for g in guides),)
    return queue_all(
        session,
        targets=[chat],
        reply=render(month, branch, guides, supplement=supplement),
        key_parts=key_parts,
        kind=KIND,
        not_before=cfg.quiet.release(now),
        org_id=branch.id,
        batch=_batch(month, branch.id, guides),
    )


def job() -> int:
    return run_job(JOB_ID, run)
