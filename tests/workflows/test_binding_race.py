"""Guesses sent in parallel, through two routers' webhook path as two serve processes would take them.

The counts that bound 姓名+手机后四位 are read, checked and written back; done side by side, two
handlers both read "four misses" and each wrote five, so a flood of parallel guesses went uncounted.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.core.channel import ChannelLimits
from bot.core.clock import Clock
from bot.core.messages import Inbound
from bot.router import Router
from storage import bindcodes
from storage.models import AuditLog

pytestmark = pytest.mark.anyio

LIMITS = ChannelLimits(unit="bytes", max_length=2048)
GUESSES = 60


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _guess(clock: Clock, n: int, name: str) -> Inbound:
    sender = f"wx-flood-{n}"
    return Inbound(
        channel="console",
        account="local",
        chat_id=sender,
        sender_id=sender,
        text=f"绑定 {name} {n:04d}",
        received_at=clock.now(),
        is_group=False,
        message_id=f"flood-{n}",
    )


async def _flood(engine: Engine, clock: Clock, names: list[str]) -> list[str]:
    """One guess per name, from as many identities, all at once, shared out between two routers."""
    routers = [Router(engine, clock, deadline=120, batch_size=4) for _ in range(2)]
    try:
        replies = await asyncio.gather(
            *(routers[n % 2].respond(_guess(clock, n, name), LIMITS) for n, name in enumerate(names))
        )
    finally:
        for router in routers:
            router.close()
    answers = [r.text if r else "" for r in replies]
    assert all("绑定成功" not in a and "出了点问题" not in a for a in answers)
    with Session(engine) as session:
        misses = session.exec(select(AuditLog).where(col(AuditLog.action) == "bind_failed")).all()
    looked_at = [a for a in answers if "没有找到" in a]
    assert len(looked_at) == len(misses)
    return looked_at


async def test_parallel_guesses_at_one_name_stop_at_the_per_name_limit(
    engine: Engine, clock: Clock, district: dict[str, int]
) -> None:
    looked_at = await _flood(engine, clock, ["赵五"] * GUESSES)
    assert len(looked_at) == bindcodes.PER_NAME.max_failures


async def test_parallel_guesses_at_many_names_stop_at_the_overall_limit(
    engine: Engine, clock: Clock, district: dict[str, int]
) -> None:
    looked_at = await _flood(engine, clock, [f"路人{n}" for n in range(GUESSES)])
    assert len(looked_at) == bindcodes.EVERYONE.max_failures
