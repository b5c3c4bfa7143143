"""The inbound claim decides which of two racing processes handled a message: exactly one wins."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.core.messages import Reply
from storage import inbound
from storage.db import session_scope
from tests.fakes.clock import FakeClock

IDS = {"channel": "wechat", "account": "default", "key": "7001"}


def test_the_second_claim_of_a_message_loses_and_reads_the_first_reply(
    engine: Engine, clock: FakeClock
) -> None:
    with session_scope(engine) as session:
        assert inbound.claim(session, **IDS, reply=Reply("第一次"), received_at=clock.now())
    with session_scope(engine) as session:
        assert not inbound.claim(session, **IDS, reply=Reply("第二次"), received_at=clock.now())
    with session_scope(engine) as session:
        seen = inbound.lookup(session, **IDS)
    assert seen is not None and seen.reply == Reply("第一次")


def test_a_batch_claim_reports_exactly_the_messages_it_won(engine: Engine, clock: FakeClock) -> None:
    with session_scope(engine) as session:
        assert inbound.claim(session, **IDS, reply=Reply("别人先答了"), received_at=clock.now())
    batch = {("wechat", "default", key): Reply(f"答{key}") for key in ("7001", "7002", "7003")}
    with session_scope(engine) as session:
        won = inbound.claim_many(session, batch, received_at=clock.now())
    assert won == {("wechat", "default", "7002"), ("wechat", "default", "7003")}
    with session_scope(engine) as session:
        seen = inbound.lookup(session, **IDS)
    assert seen is not None and seen.reply == Reply("别人先答了")
