"""How long one full garbage collection stalls a warmed ``zhibu serve`` process.

CPython's oldest-generation pass walks every tracked object, with the GIL held: every request of
the process waits for it. Measured three ways in one process: warmed as at start-up (knowledge
base, jieba, SQLAlchemy), with 20,000 answered outcomes held as the router's former ten-minute
cache held them, and after ``gc.freeze()`` (what ``zhibu serve`` now does once warm, bot/heap.py).

    .venv/bin/python bench/gc_probe.py
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.channel import ChannelLimits  # noqa: E402
from bot.core.messages import Inbound, Reply  # noqa: E402
from bot.router import _Job, _Race  # noqa: E402
from bot.runtime import build_runtime  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402
from storage.knowledge.base import default_base  # noqa: E402

ANSWER = "三会一课是指定期召开支部党员大会、支部委员会、党小组会，按时上好党课。"


def full_collection_ms(times: int = 5) -> float:
    """The fastest of a few full collections (the others include noise from other processes)."""
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        gc.collect()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/probe.db"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        account = {"app_id": "wx1", "token": "probeToken1"}
        build_runtime(Settings(database_url=url, wechat={"probe": account}))
        default_base().warm()
        tracked = len(gc.get_objects())
        print(f"warmed: {tracked:,} tracked objects, full collection {full_collection_ms():.1f} ms")

        limits, held = ChannelLimits(unit="bytes", max_length=2048), {}
        for n in range(20_000):
            inbound = Inbound(
                "wechat", "probe", f"o{n}", f"o{n}", "三会一课是什么", datetime.now(UTC), message_id=str(n)
            )
            job = _Job(inbound, limits, _Race())
            job.future.set_result(Reply(ANSWER))
            held[job.key] = (time.monotonic(), job.future, job.race)
        print(
            f"+ 20,000 held outcomes: {len(gc.get_objects()):,} tracked objects, "
            f"full collection {full_collection_ms():.1f} ms"
        )

        held.clear()
        gc.collect()
        gc.freeze()
        print(
            f"outcomes dropped, gc.freeze(): full collection {full_collection_ms():.1f} ms "
            f"({gc.get_freeze_count():,} objects frozen)"
        )


if __name__ == "__main__":
    main()
