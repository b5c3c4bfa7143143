"""Notices from a secretary to the branch's group chats: preview, confirm, queue, follow up.

A branch's notice reaches the chats bound to it (and its 党小组); a higher organization's
reaches every chat bound below it. Nothing is sent before "确认发送", and the pending
notice lives in the database for a few minutes, so any process may take the confirmation.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.messages import Reply, Target
from handlers import texts
from handlers.context import HandlerContext
from handlers.scope import audit, chat_key, may_manage, subtree
from storage import audience, broadcasts, conversation
from storage.broadcasts import BROADCAST_KIND
from storage.members import in_org
from storage.models import Organization
from storage.outbox import enqueue

CONFIRM_WITHIN = timedelta(minutes=5)
REPEAT_WINDOW = timedelta(hours=24)  # the same text to the same chats within this asks twice
_PENDING = "broadcast"


@dataclass(frozen=True, slots=True)
class Plan:
    """Who a notice from ``org`` would reach."""

    org: Organization
    targets: tuple[tuple[Target, int], ...]  # chat and the organization it is bound to
    people: int

    @property
    def org_count(self) -> int:
        return len({org_id for _, org_id in self.targets})


def plan(session: Session, org: Organization) -> Plan:
    bindings = audience.chat_bindings(session, subtree(session, org))
    targets = tuple(
        (Target(channel=b.channel, account=b.account, chat_id=b.chat_id, is_group=b.is_group), b.org_id)
        for b in bindings
    )
    return Plan(org, targets, len(in_org(session, org.id)))


def repeated(session: Session, reach: Plan, text: str, now: datetime) -> bool:
    """Whether this text already went to some of these chats within REPEAT_WINDOW (a double 发布, say)."""
    targets = [target for target, _ in reach.targets]
    return broadcasts.last_same(session, text=text, targets=targets, since=now - REPEAT_WINDOW) is not None


def new_batch(now: datetime) -> str:
    return f"bc-{now:%Y%m%d%H%M}-{secrets.token_hex(3)}"


def queue(session: Session, *, targets: Iterable[tuple[Target, int]], reply: Reply, batch: str) -> int:
    """Put one delivery per chat in the outbox; returns how many were new (re-running a batch adds none)."""
    queued = 0
    for target, org_id in targets:
        key = audience.dedupe_key(BROADCAST_KIND, batch, target=target)
        queued += enqueue(
            session,
            target=target,
            reply=reply,
            dedupe_key=key,
            kind=BROADCAST_KIND,
            org_id=org_id,
            batch=batch,
        )
    return queued


def preview(ctx: HandlerContext) -> list[Reply]:
    """发布 <内容>: show what would happen and wait for 确认发送."""
    org = ctx.org
    assert org is not None  # a managers' command (handlers/commands.py)
    notice = ctx.args
    if not notice:
        return [Reply(texts.BROADCAST_USAGE)]
    reach = plan(ctx.session, org)
    if not reach.targets:
        return [Reply(texts.BROADCAST_NO_CHATS.format(org=org.name))]
    conversation.put(
        ctx.session,
        key=chat_key(ctx),
        kind=_PENDING,
        data={"org_id": org.id, "text": notice},
        expires_at=ctx.now + CONFIRM_WITHIN,
    )
    minutes = int(CONFIRM_WITHIN.total_seconds() // 60)
    return [
        Reply(
            texts.BROADCAST_PREVIEW.format(
                chats=len(reach.targets),
                orgs=reach.org_count,
                people=reach.people,
                text=notice,
                repeat=texts.BROADCAST_REPEAT if repeated(ctx.session, reach, notice, ctx.now) else "",
                minutes=minutes,
            )
        )
    ]


def confirm(ctx: HandlerContext) -> list[Reply]:
    """确认发送: queue the pending notice, once."""
    key = chat_key(ctx)
    pending = conversation.take(ctx.session, key=key, kind=_PENDING, now=ctx.now)
    if pending is None:
        if conversation.expired(ctx.session, key=key, kind=_PENDING, now=ctx.now):
            conversation.drop(ctx.session, key=key, kind=_PENDING)
            return [Reply(texts.BROADCAST_EXPIRED.format(minutes=int(CONFIRM_WITHIN.total_seconds() // 60)))]
        return [Reply(texts.BROADCAST_NOTHING_PENDING)]
    org = ctx.session.get(Organization, pending["org_id"])
    if org is None or not may_manage(ctx, org):  # no longer theirs since they wrote it
        return [Reply(texts.NOT_ALLOWED)]
    batch, queued = send(ctx.session, org, pending["text"], ctx.now)
    audit(ctx, "broadcast", org, logged(batch, queued, pending["text"]))
    return [Reply(texts.BROADCAST_QUEUED.format(chats=queued))]


def send(session: Session, org: Organization, text: str, now: datetime) -> tuple[str, int]:
    """Queue a confirmed notice to every chat ``org`` reaches now; (its batch, how many were queued)."""
    batch = new_batch(now)
    return batch, queue(session, targets=plan(session, org).targets, reply=Reply(text), batch=batch)


def logged(batch: str, queued: int, text: str) -> str:
    """The audit detail of a notice sent, from the chat or the console alike."""
    return f"batch={batch} chats={queued} text={text[:100]}"


def abort(ctx: HandlerContext) -> list[Reply]:
    """取消发送: forget the pending notice."""
    key = chat_key(ctx)
    if conversation.get(ctx.session, key=key, kind=_PENDING, now=ctx.now) is None:
        return [Reply(texts.BROADCAST_NOTHING_PENDING)]
    conversation.drop(ctx.session, key=key, kind=_PENDING)
    return [Reply(texts.BROADCAST_ABORTED)]


def status(ctx: HandlerContext) -> list[Reply]:
    """发送情况: the latest notice, per chat."""
    org = ctx.org
    assert org is not None  # a managers' command (handlers/commands.py)
    batch = broadcasts.latest_batch(ctx.session, org_ids=subtree(ctx.session, org))
    if batch is None:
        return [Reply(texts.BROADCAST_NO_BATCH)]
    rows = broadcasts.batch_status(ctx.session, batch=batch)
    counts = broadcasts.totals(ctx.session, batch=batch)
    lines = [
        texts.BROADCAST_STATUS_HEAD.format(
            sent=counts["sent"], failed=counts["failed"], pending=counts["pending"]
        )
    ]
    for row in rows:
        owner = ctx.session.get(Organization, row.org_id) if row.org_id else None
        if row.status == "failed":
            shown = texts.BROADCAST_STATUS_FAILED.format(error=row.error[:60])
        else:
            shown = texts.BROADCAST_STATUS_NAMES.get(row.status, row.status)
        chat = f"{row.channel}…{row.chat_id[-4:]}"
        lines.append(
            texts.BROADCAST_STATUS_LINE.format(org=owner.name if owner else "", chat=chat, status=shown)
        )
    return [Reply("\n".join(lines))]
