"""Benchmark: outbox throughput of bot.sender.Sender, beside a naive loop, in the same run.

Queues N deliveries (SQLite WAL file, like production) to 500 chats of an
in-process channel with no platform limits, so the figure is the cost of the
outbox protocol itself: claim with a lease, send, record the outcome, one
commit per message so a crash repeats at most the one in flight.

- sender: ``Sender.run_once`` until the queue is empty (1 worker, then 2 workers
  sharing the database as two processes would);
- naive: select 20 pending rows, send, mark each sent (no lease, no claim: two
  workers would double-send, a crash would lose nothing but repeat a whole batch).

Real platforms are far slower than either (a WeCom robot takes 20 a minute), so
the question is only whether the outbox adds noticeable cost.

    .venv/bin/python bench/sender.py [--deliveries 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, update  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from bot.channels.console import ConsoleChannel  # noqa: E402
from bot.core.clock import SystemClock  # noqa: E402
from bot.core.messages import Reply, Target  # noqa: E402
from bot.ratelimit import RateLimiter  # noqa: E402
from bot.sender import Sender  # noqa: E402
from storage.db import make_engine, session_scope, upgrade  # noqa: E402
from storage.models import Delivery, DeliveryStatus, utcnow  # noqa: E402
from storage.outbox import enqueue  # noqa: E402

CHATS = 500


def fresh(directory: Path, name: str, count: int) -> Engine:
    engine = make_engine(f"sqlite:///{directory / name}.db")
    upgrade(engine)
    with session_scope(engine) as session:
        for n in range(count):
            target = Target("console", "local", f"chat{n % CHATS}")
            enqueue(
                session,
                target=target,
                reply=Reply(f"第{n}条通知：明天下午两点半召开支部党员大会。"),
                dedupe_key=f"b:{n}",
            )
    return engine


def with_sender(engine: Engine, workers: int) -> tuple[float, int]:
    channel = ConsoleChannel("bench")
    senders = [
        Sender(
            engine, {("console", "local"): channel}, SystemClock(), limiter=RateLimiter({}), worker=f"w{n}"
        )
        for n in range(workers)
    ]

    async def drain() -> None:
        while sum(await asyncio.gather(*(s.run_once() for s in senders))):
            pass

    start = time.perf_counter()
    asyncio.run(drain())
    return time.perf_counter() - start, len(channel.outbox)


def naive(engine: Engine) -> tuple[float, int]:
    channel = ConsoleChannel("bench")

    async def drain() -> None:
        while True:
            with Session(engine) as session:
                rows = session.exec(
                    select(Delivery)
                    .where(Delivery.status == DeliveryStatus.PENDING)
                    .order_by(col(Delivery.id))
                    .limit(20)
                ).all()
            if not rows:
                return
            for row in rows:
                await channel.send(Target(row.channel, row.account, row.chat_id), Reply(row.text))
                with session_scope(engine) as session:
                    session.execute(
                        update(Delivery)
                        .where(col(Delivery.id) == row.id)
                        .values(status="sent", sent_at=utcnow())
                    )

    start = time.perf_counter()
    asyncio.run(drain())
    return time.perf_counter() - start, len(channel.outbox)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = {
            "naive loop (baseline)": naive(fresh(Path(tmp), "naive", args.deliveries)),
            "Sender, 1 worker": with_sender(fresh(Path(tmp), "one", args.deliveries), 1),
            "Sender, 2 workers": with_sender(fresh(Path(tmp), "two", args.deliveries), 2),
        }
    print(f"{args.deliveries} deliveries to {CHATS} chats, SQLite WAL, no platform limits")
    for name, (seconds, sent) in runs.items():
        print(f"  {name:24} {sent:6} sent  {seconds:6.2f} s  {sent / seconds:8.0f} deliveries/s")


if __name__ == "__main__":
    main()
