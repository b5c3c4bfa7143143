"""The last place of a 微心愿, claimed by several processes at the same moment: exactly one wins.

Each claimant is its own process with its own engine, as several `zhibu serve` processes would be;
they wait at a barrier and then claim together. Run on PostgreSQL with scripts/postgres.sh.
"""

from __future__ import annotations

import multiprocessing
from datetime import date, datetime, timedelta
from threading import Barrier

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.core.clock import SHANGHAI
from storage import wishes
from storage.db import make_engine, session_scope
from storage.models import Member, Organization, OrgKind, WishClaim

CLAIMANTS = 6
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)


def _claim(url: str, wish_id: int, member_id: int, barrier: Barrier) -> str:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            barrier.wait(timeout=60)
            try:
                wishes.claim(session, wish_id=wish_id, member_id=member_id, now=NOW)
            except wishes.Refused as refused:
                return refused.code
            return "won"
    finally:
        engine.dispose()


def _world(engine: Engine) -> tuple[int, list[int]]:
    """A community and its would-be claimants."""
    with session_scope(engine) as session:
        org = Organization(name="和平社区党委", kind=OrgKind.COMMUNITY_COMMITTEE)
        session.add(org)
        session.flush()
        assert org.id is not None
        people = [
            Member(name=f"党员{n}", org_id=org.id, joined_on=date(2010, 7, 1)) for n in range(CLAIMANTS)
        ]
        for member in people:
            member.sync_join_md()
        session.add_all(people)
        session.flush()
        return org.id, [m.id or 0 for m in people]


def test_claimants_in_parallel_processes_fill_exactly_the_places(engine: Engine, db_url: str) -> None:
    org_id, members = _world(engine)
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager, spawn.Pool(CLAIMANTS) as pool:
        for places in (1, 2):
            with session_scope(engine) as session:
                wish = wishes.post(
                    session,
                    org_id=org_id,
                    title="搬家具",
                    due_at=NOW + timedelta(days=3),
                    now=NOW,
                    places=places,
                )
                wish_id = wish.id or 0
            barrier = manager.Barrier(CLAIMANTS)
            outcomes = pool.starmap(_claim, [(db_url, wish_id, m, barrier) for m in members])
            assert outcomes.count("won") == places, outcomes
            assert set(outcomes) == {"won", "full"}
            with Session(engine) as session:
                found = wishes.get(session, wish_id)
                held = session.exec(select(WishClaim).where(WishClaim.wish_id == wish_id)).all()
                assert (found.taken, found.state, len(held)) == (places, "claimed", places)
