"""Benchmark: the web console's pages over HTTP for a district of 500 branches and 20,000 members.

Builds a migrated database (SQLite in a temporary directory, or PostgreSQL with --db-url) with one
党工委, 10 党委 below it and 50 branches under each; every branch has 40 members in two 党小组 and a
year of meetings (支委会, 党小组会, 主题党日 monthly; 支部党员大会, 党课 quarterly), attendance taken at
each 支委会 and 主题党日, a month's 清单 in one bound group chat and a few failed reminders. Then it
serves the console's routes on 127.0.0.1 (as `zhibu serve` does, the warm heap frozen: bot/heap.py), logs
in as the 党工委's 组织委员 and as one branch's 书记, and times each page over HTTP. The overview's chart
covers the year to the chosen month: about 26,000 meetings counted per overview.

Targets: overview p95 <= 300 ms, every other page p95 <= 150 ms, on SQLite and PostgreSQL.

    .venv/bin/python bench/console.py [--branches 500] [--repeat 30] [--db-url postgresql://...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import Engine, insert, text  # noqa: E402
from sqlmodel import select  # noqa: E402
from starlette.applications import Starlette  # noqa: E402

from bot.core.clock import SHANGHAI  # noqa: E402
from bot.heap import freeze_warm_heap  # noqa: E402
from bot.web import pages  # noqa: E402
from bot.web.config import ConsoleConfig  # noqa: E402
from handlers.console_login import issue_link  # noqa: E402
from storage.db import make_engine, session_scope, upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    Attendance,
    ChatBinding,
    Delivery,
    Meeting,
    Member,
    MemberStatus,
    Organization,
    OrgKind,
    Role,
)
from tests.fakes.clock import FakeClock  # noqa: E402
from tests.fakes.serve import serve  # noqa: E402

MEMBERS_PER_BRANCH = 40
COMMITTEES = 10
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
MONTHLY = ("支委会", "主题党日")
QUARTERLY = ("支部党员大会", "党课")
ROLES = (Role.SECRETARY, Role.ORGANIZATION, Role.PUBLICITY)  # the rest are 党员


def _ids(session: object, kind: str) -> list[int]:
    query = select(Organization.id).where(Organization.kind == kind).order_by(Organization.id)
    return [i for i in session.exec(query)]  # type: ignore[attr-defined]


def populate(engine: Engine, branches: int) -> None:
    with session_scope(engine) as session:
        top = Organization(name="基准街道党工委", kind=OrgKind.WORKING_COMMITTEE)
        session.add(top)
        session.flush()
        session.execute(
            insert(Organization),
            [
                {"name": f"第{c}社区党委", "kind": OrgKind.COMMUNITY_COMMITTEE, "parent_id": top.id}
                for c in range(COMMITTEES)
            ],
        )
        committees = _ids(session, OrgKind.COMMUNITY_COMMITTEE)
        session.execute(
            insert(Organization),
            [
                {"name": f"第{b}党支部", "kind": OrgKind.BRANCH, "parent_id": committees[b % COMMITTEES]}
                for b in range(branches)
            ],
        )
        branch_ids = _ids(session, OrgKind.BRANCH)
        session.execute(
            insert(Organization),
            [
                {"name": f"第{g + 1}党小组", "kind": OrgKind.GROUP, "parent_id": b}
                for b in branch_ids
                for g in range(2)
            ],
        )
        groups: dict[int, list[int]] = {}
        for gid, parent in session.exec(
            select(Organization.id, Organization.parent_id).where(Organization.kind == OrgKind.GROUP)
        ):
            groups.setdefault(parent, []).append(gid)  # type: ignore[arg-type]
        session.execute(
            insert(Member),
            [
                {
                    "name": f"党员{b}-{n}",
                    "org_id": b,
                    "group_id": groups[b][n % 2],
                    "role": ROLES[n] if n < len(ROLES) else Role.MEMBER,
                    "joined_on": date(1990 + n % 30, 1 + n % 12, 1),
                    "status": MemberStatus.PROBATIONARY if n == 39 else MemberStatus.FULL,
                    "join_month": 1 + n % 12,
                    "join_day": 1,
                    "phone": f"139{b:04d}{n:04d}",
                }
                for b in branch_ids
                for n in range(MEMBERS_PER_BRANCH)
            ],
        )
        session.add(
            Member(name="组织委员甲", org_id=top.id or 0, role=Role.ORGANIZATION, joined_on=date(2000, 7, 1))
        )
        session.execute(
            insert(ChatBinding),
            [
                {"channel": "wecom", "account": "default", "chat_id": f"g{b}", "is_group": True, "org_id": b}
                for b in branch_ids
            ],
        )
        meetings = []
        for b in branch_ids:
            for month in range(1, 13):
                for kind in MONTHLY:
                    meetings.append((b, kind, datetime(2026, month, 10, 15, tzinfo=SHANGHAI)))
                for g in groups[b]:
                    meetings.append((g, "党小组会", datetime(2026, month, 12, 15, tzinfo=SHANGHAI)))
                if month % 3 == 2:
                    for kind in QUARTERLY:
                        meetings.append((b, kind, datetime(2026, month, 20, 15, tzinfo=SHANGHAI)))
        session.execute(
            insert(Meeting),
            [{"org_id": o, "kind": k, "starts_at": s, "status": "planned"} for o, k, s in meetings],
        )
        members: dict[int, list[int]] = {}
        for mid, org in session.exec(select(Member.id, Member.org_id)):
            members.setdefault(org, []).append(mid)  # type: ignore[arg-type]
        rows = []
        for mid, org, kind in session.exec(
            select(Meeting.id, Meeting.org_id, Meeting.kind).where(Meeting.kind.in_(MONTHLY))
        ):  # type: ignore[attr-defined]
            people = members[org][:3] if kind == "支委会" else members[org]
            rows += [
                {"meeting_id": mid, "member_id": p, "status": "present" if p % 5 else "leave"} for p in people
            ]
        for start in range(0, len(rows), 50_000):
            session.execute(insert(Attendance), rows[start : start + 50_000])
        session.execute(
            insert(Delivery),
            [
                _delivery(f"guide:2026-11:{b}", "guide", b, "sent", batch=f"guide:2026-11:{b}:1")
                for b in branch_ids
            ]
            + [
                _delivery(f"reminder:{b}:{n}", "meeting_reminder", b, "failed" if n == 0 else "sent")
                for b in branch_ids
                for n in range(20)
            ],
        )


def _delivery(key: str, kind: str, branch: int, status: str, batch: str | None = None) -> dict[str, object]:
    return {
        "dedupe_key": key,
        "kind": kind,
        "channel": "wecom",
        "account": "default",
        "chat_id": f"g{branch}",
        "is_group": True,
        "text": f"{kind} for 第{branch}党支部",
        "mentions": [],
        "org_id": branch,
        "batch": batch,
        "status": status,
        "last_error": "errcode=45009" if status == "failed" else "",
        "next_try_at": NOW,
        "created_at": NOW,
        "sent_at": NOW if status == "sent" else None,
    }


def login(client: httpx.Client, engine: Engine, base: str, name: str) -> None:
    with session_scope(engine) as session:
        member = session.exec(select(Member).where(Member.name == name)).one()
        link = issue_link(session, member=member, base_url=base, now=NOW)
    assert client.post(link).url.path.startswith("/console/")


def timed(client: httpx.Client, path: str, repeat: int) -> tuple[float, float, int]:
    """Median and 95th percentile in ms, and the page size, of ``repeat`` GETs after one warm-up."""
    assert client.get(path).status_code == 200
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return (
        statistics.median(samples),
        samples[min(len(samples) - 1, int(len(samples) * 0.95))],
        len(response.text),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--branches", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--db-url", default="", help="an empty PostgreSQL database; default SQLite in a temp dir"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.db_url or f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        t0 = time.perf_counter()
        populate(engine, args.branches)
        if engine.dialect.name == "postgresql":  # what autovacuum does soon after a bulk load in production
            with engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        print(
            f"{engine.dialect.name}: {args.branches} branches,",
            f"{args.branches * MEMBERS_PER_BRANCH:,} members,",
            f"a year of meetings, populated in {time.perf_counter() - t0:.1f} s",
        )
        run(engine, args.repeat)


def run(engine: Engine, repeat: int) -> None:
    app = Starlette(routes=pages.routes(engine, FakeClock(NOW), ConsoleConfig()))
    with session_scope(engine) as session:
        secretary = f"党员{_ids(session, OrgKind.BRANCH)[0]}-0"  # 书记 of the first branch
        committee = _ids(session, OrgKind.COMMUNITY_COMMITTEE)[3]
    results = []
    with serve(app) as base:
        with httpx.Client(base_url=base, timeout=60) as client:
            client.get("/console/login")  # imports and templates loaded, as `zhibu serve` warms up
        freeze_warm_heap()
        for who, paths in (
            (
                "组织委员甲",
                (
                    "/console/",
                    "/console/?sort=done&behind=1",
                    f"/console/?group={committee}&sort=attendance",
                    "/console/?by=branch&page=10",
                    "/console/deliveries",
                    "/console/deliveries?status=failed",
                    "/console/members",
                    "/console/members?q=党员42",
                    "/console/guides",
                    "/console/broadcasts",
                    "/console/meetings",
                    "/console/birthdays",
                    "/console/kb",
                    "/console/audit",
                    "/console/me",
                ),
            ),
            (secretary, ("/console/", "/console/deliveries", "/console/members")),
        ):
            with httpx.Client(base_url=base, timeout=60, follow_redirects=True) as client:
                login(client, engine, base, who)
                for path in paths:
                    results.append((who, path, *timed(client, path, repeat)))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {repeat} requests per page")
    met = True
    for who, path, median, p95, size in results:
        limit = 300 if path.startswith("/console/?") or path == "/console/" else 150
        met &= p95 <= limit
        print(
            f"{who:7} {path:36} median {median:6.1f} ms  p95 {p95:6.1f} ms (target {limit})",
            f"{size // 1024} KiB",
        )
    print("targets: overview p95 <= 300 ms, other pages p95 <= 150 ms:", "MET" if met else "NOT MET")


if __name__ == "__main__":
    main()
