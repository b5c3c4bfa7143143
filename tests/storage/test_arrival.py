"""What the router learns about a batch of messages before answering them, and that it stays an index
search however long the inbound log grows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import Engine, event

from bot.core.messages import Reply
from storage import arrival, inbound
from storage.arrival import Arrival, Asked
from storage.db import session_scope
from storage.models import ChatBinding, Identity, Member, Organization
from tests.fakes.clock import FakeClock


def test_a_batch_learns_each_message_s_reply_sender_and_chat_across_accounts(
    engine: Engine, clock: FakeClock
) -> None:
    with session_scope(engine) as session:
        branch = Organization(name="第一党支部", kind="branch")
        session.add(branch)
        session.flush()
        zhang = Member(name="张三", org_id=branch.id, joined_on=date(2001, 7, 1))
        session.add(zhang)
        session.flush()
        session.add(Identity(channel="wecom", account="corp", external_id="zhangsan", member_id=zhang.id))
        session.add(ChatBinding(channel="wecom", account="corp", chat_id="group-1", org_id=branch.id))
        inbound.claim(
            session, channel="wecom", account="corp", key="m1", reply=Reply("答过了"), received_at=clock.now()
        )
        member_id, branch_id = zhang.id, branch.id
    asked = [
        Asked("wecom", "corp", "m1", "zhangsan", "group-1"),  # a retry of an answered message
        Asked("wecom", "corp", "m2", "zhangsan", "zhangsan"),  # new, in a one-to-one chat
        Asked("wecom", "other", "m1", "zhangsan", "group-1"),  # the same ids under another account
        Asked("wechat", "oa", "", "o-stranger", "o-stranger"),  # no message key: never a retry
    ]
    with session_scope(engine) as session:
        found = arrival.look(session, asked)
    assert found == [
        Arrival(inbound.Handled(Reply("答过了")), member_id, branch_id),
        Arrival(None, member_id, None),
        Arrival(None, None, None),
        Arrival(None, None, None),
    ]


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, object]]]:
    seen: list[tuple[str, object]] = []

    def record(_conn: object, _cursor: object, sql: str, params: object, *_: object) -> None:
        seen.append((sql, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_lookups_of_every_webhook_search_indexes_instead_of_scanning_the_log(
    engine: Engine, clock: FakeClock
) -> None:
    """The inbound log keeps days of messages; a lookup that scans it grows slower with every message."""
    if engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plans")
    uses = [inbound.SignatureUse("wechat", "oa", "1700000000", f"n{n}", f"digest-{n}") for n in range(3)]
    with session_scope(engine) as session:
        inbound.use_signatures(session, uses, received_at=clock.now())
    asked = [Asked("wechat", "oa", str(n), f"o-{n}", f"o-{n}") for n in range(5)]
    with statements(engine) as seen, session_scope(engine) as session:
        arrival.look(session, asked)
        # retries of signed requests: their signatures were used before, so they are read back
        assert inbound.use_signatures(session, uses, received_at=clock.now()) == [True] * 3
    plans = []
    with engine.connect() as conn:
        for sql, params in seen:
            if sql.lstrip().upper().startswith(("SELECT", "INSERT", "WITH")):
                plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()  # type: ignore[arg-type]
                plans += [row[-1] for row in plan]
    assert len(seen) >= 3 and plans
    scans = [step for step in plans if step.startswith("SCAN") and "CONSTANT ROW" not in step]
    assert scans == [], f"full scans: {scans}"
