"""Benchmark: the daily attendance-points job and the points queries over a district's year.

Builds a migrated SQLite file (WAL, like production) with one 党工委, branches of 50 members and,
per branch, three meetings a month for a year with a roll of every member (mostly present, a few
on leave or absent). Then, in the same run:

- first credit: ``storage.credits.credit_attendance`` over the whole year (every roll is new);
- steady state: the same call the next day, when nothing is new (what the daily job costs);
- 我的积分: ``points.by_source`` + the latest entries for one member;
- rankings: ``points.ranking`` for one branch and for the whole district, over the year.

    .venv/bin/python bench/points.py [--members 10000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, insert  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from bench.birthdays import BEST, timed  # noqa: E402
from bot.core.clock import SHANGHAI  # noqa: E402
from storage import points  # noqa: E402
from storage.credits import credit_attendance  # noqa: E402
from storage.db import make_engine, session_scope, upgrade  # noqa: E402
from storage.models import Attendance, Meeting, MeetingStatus, Member, Organization, OrgKind, PointEntry  # noqa: E402
from storage.point_rules import PointsRules  # noqa: E402

BRANCH_SIZE = 50
YEAR = 2026
KINDS = ((6, "支委会"), (10, "主题党日"), (20, "支部党员大会"))  # day of month, kind


def populate(engine: Engine, members: int, rng: random.Random) -> int:
    """The district; returns how many attendance rows it holds."""
    with session_scope(engine) as session:
        district = Organization(name="基准党工委", kind=OrgKind.WORKING_COMMITTEE)
        session.add(district)
        session.flush()
        session.execute(
            insert(Organization),
            [
                {"name": f"第{i}党支部", "kind": OrgKind.BRANCH, "parent_id": district.id}
                for i in range(members // BRANCH_SIZE)
            ],
        )
        branch_ids = list(session.exec(select(Organization.id).where(Organization.kind == OrgKind.BRANCH)))
        session.execute(
            insert(Member),
            [
                {
                    "name": f"党员{n}",
                    "org_id": branch_ids[n // BRANCH_SIZE],
                    "joined_on": date(2010, 7, 1),
                    "join_month": 7,
                    "join_day": 1,
                }
                for n in range(members)
            ],
        )
        people: dict[int, list[int]] = {}
        for member_id, org_id in session.exec(select(Member.id, Member.org_id)):
            people.setdefault(org_id, []).append(member_id)  # type: ignore[arg-type]
        session.execute(
            insert(Meeting),
            [
                {
                    "org_id": b,
                    "kind": kind,
                    "status": MeetingStatus.PLANNED,
                    "starts_at": datetime(YEAR, month, day, 15, 0, tzinfo=SHANGHAI),
                }
                for b in branch_ids
                for month in range(1, 12)
                for day, kind in KINDS
            ],
        )
        rolls = []
        for meeting_id, org_id in session.exec(select(Meeting.id, Meeting.org_id)):
            for member_id in people[org_id]:  # type: ignore[index]
                roll = rng.random()
                status = "present" if roll < 0.9 else "leave" if roll < 0.97 else "absent"
                rolls.append({"meeting_id": meeting_id, "member_id": member_id, "status": status})
        for start in range(0, len(rolls), 50_000):
            session.execute(insert(Attendance), rolls[start : start + 50_000])
        return len(rolls)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    rules = PointsRules()
    now = datetime(YEAR, 12, 4, 3, 30, tzinfo=SHANGHAI)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        t0 = time.perf_counter()
        rows = populate(engine, args.members, random.Random(7))
        print(
            f"populated {args.members:,} members, {rows:,} attendance rows in {time.perf_counter() - t0:.1f} s"  # noqa: E501
        )

        t0 = time.perf_counter()
        with session_scope(engine) as session:
            added = credit_attendance(session, rules, now=now)
        first_s = time.perf_counter() - t0

        def again() -> int:
            with session_scope(engine) as session:
                return credit_attendance(session, rules, now=now + timedelta(days=1))

        steady_ms, extra = timed(again, max(3, args.repeat // 3), "steady")
        assert extra == 0
        start, end = datetime(YEAR, 1, 1, tzinfo=SHANGHAI), datetime(YEAR + 1, 1, 1, tzinfo=SHANGHAI)
        with Session(engine) as session:
            entries = session.exec(select(func.count()).select_from(PointEntry)).one()
            member_id = session.exec(select(Member.id)).first() or 0
            branch = [m for m in session.exec(select(Member.id).where(Member.org_id == 2)) if m is not None]
            everyone = [m for m in session.exec(select(Member.id)) if m is not None]

            def mine() -> object:
                return points.by_source(session, member_id=member_id, start=start, end=end), points.ledger(
                    session, member_id=member_id, start=start, end=end, limit=5
                )

            mine_ms, _ = timed(mine, args.repeat, "mine")
            branch_ms, _ = timed(
                lambda: points.ranking(session, member_ids=branch, start=start, end=end),
                args.repeat,
                "branch",
            )
            district_ms, _ = timed(
                lambda: points.ranking(session, member_ids=everyone, start=start, end=end),
                max(3, args.repeat // 3),
                "district",
            )
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        rate = added / first_s
        print(f"first credit   {first_s:8.2f} s   ({added:,} entries, {rate:,.0f}/s; ledger now {entries:,})")
        print(
            f"steady state   median {steady_ms:8.1f} ms  best {BEST['steady']:7.1f}  (daily job, nothing new)"
        )
        print(f"我的积分        median {mine_ms:8.2f} ms  best {BEST['mine']:7.2f}")
        print(
            f"branch ranking median {branch_ms:8.2f} ms  best {BEST['branch']:7.2f}  ({len(branch)} members)"
        )
        best, count = BEST["district"], len(everyone)
        print(f"district rank  median {district_ms:8.1f} ms  best {best:7.1f}  ({count:,} members)")


if __name__ == "__main__":
    main()
