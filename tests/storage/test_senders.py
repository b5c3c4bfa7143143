"""Sender heartbeats: alive while renewed, gone once stopped or past their ttl."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from storage import senders
from storage.db import session_scope
from tests.fakes.clock import FakeClock


def test_a_sender_counts_while_its_heartbeat_is_fresh(engine: Engine, clock: FakeClock) -> None:
    ttl = timedelta(seconds=90)
    with session_scope(engine) as session:
        senders.beat(session, worker="host-a:1", now=clock.now(), ttl=ttl)
        senders.beat(session, worker="host-b:2", now=clock.now(), ttl=ttl)
        senders.beat(session, worker="host-a:1", now=clock.now() + timedelta(seconds=30), ttl=ttl)  # renewed
        assert senders.alive(session, now=clock.now()) == 2
        senders.stopped(session, worker="host-b:2")
        assert senders.alive(session, now=clock.now()) == 1
        assert senders.alive(session, now=clock.now() + timedelta(seconds=119)) == 1  # the renewal holds
        assert senders.alive(session, now=clock.now() + timedelta(seconds=120)) == 0  # died: it expired
