"""Helpers for sender tests: run senders until the outbox is empty, moving a fake clock, never sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from bot.core.messages import Reply, Target
from bot.sender import Sender
from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus
from storage.outbox import enqueue
from tests.fakes.clock import FakeClock


def sleeper(clock: FakeClock) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    return sleep


def queue(engine: Engine, clock: FakeClock, target: Target, texts: list[str], *, prefix: str = "m") -> None:
    """Queue ``texts`` for ``target``, due at the fake clock's now (not the wall clock's)."""
    with session_scope(engine) as session:
        for n, text in enumerate(texts):
            enqueue(
                session, target=target, reply=Reply(text), dedupe_key=f"{prefix}:{n}", not_before=clock.now()
            )


def statuses(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(select(Delivery.status, func.count()).group_by(col(Delivery.status)))
        return {status: count for status, count in rows}


async def drain(senders: list[Sender], engine: Engine, clock: FakeClock, rounds: int = 500) -> None:
    """Run the senders until nothing is left to send, jumping the clock to the next due row when idle."""
    for _ in range(rounds):
        claimed = sum(await asyncio.gather(*(sender.run_once() for sender in senders)))
        if claimed:
            continue
        with Session(engine) as session:
            waiting = col(Delivery.status).in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING])
            due = session.exec(select(func.min(Delivery.next_try_at)).where(waiting)).one()
        if due is None:
            return
        clock.set(max(due, clock.now()))
    raise AssertionError("the outbox did not drain")
