"""微心愿: posting, claiming, finishing and confirming a resident's small wish.

States (models.WishState): open → claimed (every place taken) → done (every claimant
finished) → confirmed; open/claimed may be cancelled by staff or expire at the deadline.
A transition that does not fit the state raises ``Refused`` with a code the handlers
turn into a reply. The caller owns the transaction.

Places are counted on the wish row itself (``taken``) and taken by one conditional
UPDATE, so two members claiming the last place at once cannot both win: PostgreSQL
re-checks the condition after the first commits, SQLite has a single writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, update
from sqlmodel import Session, col, select

from bot.core.errors import ZhibuError
from storage.db import insert_of, rows_changed
from storage.models import ClaimStatus, Member, Wish, WishClaim, WishState

LIVE = (WishState.OPEN, WishState.CLAIMED)  # still waiting for people
FINAL = (WishState.CONFIRMED, WishState.CANCELLED, WishState.EXPIRED)


class Refused(ZhibuError):
    """An illegal transition; ``code`` names why (handlers/texts.py WISH_REFUSED has a reply for each)."""

    def __init__(self, code: str, wish: Wish | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.wish = wish


def post(
    session: Session,
    *,
    org_id: int,
    title: str,
    due_at: datetime,
    now: datetime,
    places: int = 1,
    resident: str = "",
    place: str = "",
    posted_by: int | None = None,
) -> Wish:
    if places < 1:
        raise Refused("places")
    if due_at <= now:
        raise Refused("past")
    wish = Wish(
        org_id=org_id,
        title=title[:200],
        resident=resident[:50],
        place=place[:200],
        due_at=due_at,
        places=places,
        posted_by=posted_by,
        created_at=now,
        updated_at=now,
    )
    session.add(wish)
    session.flush()
    return wish


def get(session: Session, wish_id: int) -> Wish:
    """The wish as the database has it now (statements above may have changed the row)."""
    wish = session.get(Wish, wish_id, populate_existing=True)
    if wish is None:
        raise Refused("not_found")
    return wish


def claim_of(session: Session, wish_id: int, member_id: int) -> WishClaim | None:
    return session.exec(
        select(WishClaim)
        .where(WishClaim.wish_id == wish_id, WishClaim.member_id == member_id)
        .execution_options(populate_existing=True)
    ).first()


def claim(session: Session, *, wish_id: int, member_id: int, now: datetime) -> Wish:
    """Take a place; the wish becomes "claimed" when it was the last one.

    The place is taken first, by a write, so on SQLite the transaction holds the writer lock
    before it reads anything a competitor could change.
    """
    with session.begin_nested() as savepoint:
        took = rows_changed(
            session.execute(
                update(Wish)
                .where(
                    col(Wish.id) == wish_id,
                    col(Wish.state) == WishState.OPEN,
                    col(Wish.taken) < col(Wish.places),
                )
                .values(
                    taken=Wish.taken + 1,
                    state=case(
                        (col(Wish.taken) + 1 >= col(Wish.places), WishState.CLAIMED.value),
                        else_=WishState.OPEN.value,
                    ),
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        )
        if took and _hold_place(session, wish_id, member_id, now):
            return get(session, wish_id)
        savepoint.rollback()
    wish = get(session, wish_id)
    existing = claim_of(session, wish_id, member_id)
    if existing is not None and existing.status != ClaimStatus.RELEASED:
        raise Refused("already_claimed", wish)
    raise Refused("full" if wish.state == WishState.CLAIMED else _state_code(wish), wish)


def _hold_place(session: Session, wish_id: int, member_id: int, now: datetime) -> bool:
    """The member's claim row: new, or a released one taken up again; False if they hold one already."""
    again = rows_changed(
        session.execute(
            update(WishClaim)
            .where(
                col(WishClaim.wish_id) == wish_id,
                col(WishClaim.member_id) == member_id,
                col(WishClaim.status) == ClaimStatus.RELEASED,
            )
            .values(status=ClaimStatus.ACTIVE, claimed_at=now, note="", done_at=None)
            .execution_options(synchronize_session=False)
        )
    )
    if again:
        return True
    insert = insert_of(session)
    stmt = (
        insert(WishClaim)
        .values(wish_id=wish_id, member_id=member_id, status=ClaimStatus.ACTIVE, claimed_at=now, note="")
        .on_conflict_do_nothing(index_elements=["wish_id", "member_id"])
        .returning(WishClaim.id)
    )
    return session.execute(stmt).first() is not None


def _state_code(wish: Wish) -> str:
    return {WishState.OPEN: "open", WishState.CLAIMED: "full", WishState.DONE: "done"}.get(
        WishState(wish.state), str(wish.state)
    )


def _active_claim(session: Session, wish: Wish, member_id: int) -> WishClaim:
    found = claim_of(session, wish.id or 0, member_id)
    if found is None or found.status == ClaimStatus.RELEASED:
        raise Refused("no_claim", wish)
    if found.status == ClaimStatus.DONE:
        raise Refused("claim_done", wish)
    return found


def _lock(session: Session, wish_id: int) -> Wish:
    """The wish row, locked until commit on PostgreSQL, so two transitions of one wish take turns."""
    wish = session.exec(select(Wish).where(Wish.id == wish_id).with_for_update()).first()
    if wish is None:
        raise Refused("not_found")
    session.refresh(wish)
    return wish


def release(session: Session, *, wish_id: int, member_id: int, reason: str, now: datetime) -> Wish:
    """放弃认领: give the place back (with a reason), the wish is open again."""
    wish = _lock(session, wish_id)
    if wish.state not in LIVE:
        raise Refused(_state_code(wish), wish)
    mine = _active_claim(session, wish, member_id)
    mine.status, mine.note = ClaimStatus.RELEASED, reason[:500]
    wish.taken -= 1
    wish.state, wish.updated_at = WishState.OPEN, now
    session.add_all([mine, wish])
    session.flush()
    return wish


def finish(session: Session, *, wish_id: int, member_id: int, note: str, now: datetime) -> Wish:
    """完成: the claimant's part is done; when nobody active is left, the wish waits for confirmation."""
    wish = _lock(session, wish_id)
    if wish.state not in LIVE:
        raise Refused(_state_code(wish), wish)
    mine = _active_claim(session, wish, member_id)
    mine.status, mine.note, mine.done_at = ClaimStatus.DONE, note[:500], now
    session.add(mine)
    session.flush()
    if not claims(session, wish_id, statuses=(ClaimStatus.ACTIVE,)):
        wish.state, wish.updated_at = WishState.DONE, now
        session.add(wish)
        session.flush()
    return wish


def confirm(session: Session, *, wish_id: int, now: datetime) -> Wish:
    """确认完成 by the poster or community staff: only a wish whose claimants all finished."""
    wish = _lock(session, wish_id)
    if wish.state != WishState.DONE:
        raise Refused("not_done" if wish.state in LIVE else _state_code(wish), wish)
    wish.state, wish.updated_at = WishState.CONFIRMED, now
    session.add(wish)
    session.flush()
    return wish


def cancel(session: Session, *, wish_id: int, now: datetime) -> Wish:
    wish = _lock(session, wish_id)
    if wish.state not in LIVE:
        raise Refused(_state_code(wish), wish)
    wish.state, wish.updated_at = WishState.CANCELLED, now
    session.add(wish)
    session.flush()
    return wish


def expire_overdue(session: Session, *, now: datetime) -> list[Wish]:
    """Open or claimed wishes past their deadline become "expired"; those changed now."""
    overdue = list(
        session.exec(
            select(Wish).where(col(Wish.state).in_(list(LIVE)), Wish.due_at <= now).with_for_update()
        )
    )
    for wish in overdue:
        wish.state, wish.updated_at = WishState.EXPIRED, now
        session.add(wish)
    session.flush()
    return overdue


def claims(
    session: Session, wish_id: int, *, statuses: Sequence[str] = (ClaimStatus.ACTIVE, ClaimStatus.DONE)
) -> list[WishClaim]:
    return list(
        session.exec(
            select(WishClaim)
            .where(WishClaim.wish_id == wish_id, col(WishClaim.status).in_(list(statuses)))
            .order_by(col(WishClaim.id))
            .execution_options(populate_existing=True)
        )
    )


def claimants(
    session: Session, wish_id: int, *, statuses: Sequence[str] = (ClaimStatus.ACTIVE, ClaimStatus.DONE)
) -> list[Member]:
    members = [session.get(Member, c.member_id) for c in claims(session, wish_id, statuses=statuses)]
    return [m for m in members if m is not None]


def of_orgs(
    session: Session,
    org_ids: Sequence[int],
    *,
    states: Sequence[str] | None = None,
    due_before: datetime | None = None,
    limit: int = 200,
) -> list[Wish]:
    """Wishes posted by these organizations, soonest deadline first."""
    query = select(Wish).where(col(Wish.org_id).in_(list(org_ids)))
    if states is not None:
        query = query.where(col(Wish.state).in_(list(states)))
    if due_before is not None:
        query = query.where(Wish.due_at <= due_before)
    return list(session.exec(query.order_by(col(Wish.due_at), col(Wish.id)).limit(limit)))


def due_between(session: Session, *, start: datetime, end: datetime) -> list[Wish]:
    """Live wishes whose deadline falls in [start, end): the deadline reminder's work."""
    query = select(Wish).where(col(Wish.state).in_(list(LIVE)), Wish.due_at >= start, Wish.due_at < end)
    return list(session.exec(query.order_by(col(Wish.due_at), col(Wish.id))))


def claimed_by(session: Session, member_id: int) -> list[tuple[Wish, WishClaim]]:
    """The member's own claims, newest first."""
    rows = session.exec(
        select(Wish, WishClaim)
        .join(WishClaim, col(WishClaim.wish_id) == Wish.id)
        .where(WishClaim.member_id == member_id)
        .order_by(col(WishClaim.claimed_at).desc())
    ).all()
    return [(w, c) for w, c in rows]


def mask(name: str) -> str:
    """张三丰 → 张**: members see who the wish is for without the full name."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""
