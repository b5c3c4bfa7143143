"""Load benchmark against a real ``zhibu serve`` process on 127.0.0.1.

1. 1,000 signed safe-mode WeChat callbacks sent at once, each sent three times (as
   the platform retries), in random order → exactly 1,000 handled, identical replies
   for the three copies; prints throughput and p50/p99 latency.
2. 5,000 queued deliveries drained against a fake WeChat API that enforces the
   rate the sender is configured for (token bucket, 50/s, burst 10) and rejects
   anything over it (errcode 45009) → time taken versus the theoretical minimum
   (target: within 10 %) and the number of rejected sends (target: 0).

    .venv/bin/python bench/load.py [--messages 1000] [--deliveries 5000] [--db URL]

Uses SQLite in a temporary directory unless --db names a (migrated, empty) PostgreSQL database.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import xmltodict  # noqa: E402
from sqlmodel import Session, func, select  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402
from wechatpy.crypto import WeChatCrypto  # noqa: E402

from bot.channels.wechat import PLATFORM as WECHAT  # noqa: E402
from bot.core.clock import SHANGHAI  # noqa: E402
from bot.core.messages import Reply, Target  # noqa: E402
from storage.db import make_engine, session_scope, upgrade  # noqa: E402
from storage.models import Delivery, DeliveryStatus, InboundLog  # noqa: E402
from storage.outbox import enqueue  # noqa: E402
from tests.bot.callbacks import OA_AES, OA_APP_ID, OA_TOKEN, text_xml, wechat_post  # noqa: E402
from tests.e2e.harness import ServeProcess, serving, wait_for  # noqa: E402
from tests.fakes.serve import serve  # noqa: E402

JITTER = 2  # tokens: 40 ms at 50/s


class RateLimitedApi:
    """A fake 公众号 API: tokens, and customer-service sends limited by a token bucket."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self._tokens, self._last = burst, time.monotonic()
        self._lock = threading.Lock()
        self.accepted: list[float] = []
        self.rejected = 0
        self.app = Starlette(
            routes=[
                Route("/cgi-bin/token", self._token),
                Route("/cgi-bin/message/custom/send", self._send, methods=["POST"]),
            ]
        )

    async def _token(self, request: Request) -> JSONResponse:
        return JSONResponse({"access_token": "bench-token", "expires_in": 7200})

    async def _send(self, request: Request) -> JSONResponse:
        await request.body()
        now = time.monotonic()
        with self._lock:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens < 1:
                self.rejected += 1
                return JSONResponse({"errcode": 45009, "errmsg": "api freq out of limit"})
            self._tokens -= 1
            self.accepted.append(now)
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": len(self.accepted)})


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def post(port: int, path: str, params: dict[str, str], body: str) -> tuple[int, str]:
    """One POST on its own connection, written by hand: a client library would be the bottleneck here."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = body.encode()
    head = (
        f"POST {path}?{urlencode(params)} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + data)
    raw = await reader.read()
    writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2].decode()


async def callbacks(port: int, messages: int) -> dict[str, Any]:
    now = datetime.now(SHANGHAI)
    signed = [
        wechat_post(
            text_xml(f"o-load-{i % 500}", "帮助", 7_000_000 + i, int(now.timestamp())),
            now,
            safe=True,
            nonce=str(100000 + i),
        )
        for i in range(messages)
    ]
    jobs = [(i, s) for i, s in enumerate(signed) for _ in range(3)]
    random.Random(7).shuffle(jobs)
    crypto = WeChatCrypto(OA_TOKEN, OA_AES, OA_APP_ID)
    bodies: dict[int, set[str]] = defaultdict(set)
    latencies: list[float] = []
    statuses: dict[int, int] = defaultdict(int)

    async def one(index: int, request: Any) -> None:
        start = time.perf_counter()
        status, body = await post(port, "/wechat/bench", request.params, request.body)
        latencies.append(time.perf_counter() - start)
        statuses[status] += 1
        bodies[index].add(body)

    started = time.perf_counter()
    await asyncio.gather(*(one(i, s) for i, s in jobs))
    elapsed = time.perf_counter() - started
    differing = 0
    for texts in bodies.values():  # safe-mode replies differ in nonce and padding: compare the plaintext
        contents = set()
        for body in texts:
            envelope = xmltodict.parse(body)["xml"]
            plain = crypto.decrypt_message(
                body, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
            )
            contents.add(xmltodict.parse(plain)["xml"]["Content"])
        differing += len(contents) > 1
    return {
        "requests": len(jobs),
        "elapsed": elapsed,
        "statuses": dict(statuses),
        "latencies": latencies,
        "differing_replies": differing,
    }


def drain(engine: Any, api: RateLimitedApi, deliveries: int) -> dict[str, float]:
    with session_scope(engine) as session:
        for i in range(deliveries):
            target = Target("wechat", "bench", f"o-drain-{i:05d}", False)
            enqueue(session, target=target, reply=Reply(f"通知 {i}"), dedupe_key=f"load:{i}", batch="load")
    queued = time.monotonic()

    def unsent() -> int:
        with Session(engine) as session:
            return session.exec(
                select(func.count()).select_from(Delivery).where(Delivery.status != DeliveryStatus.SENT)
            ).one()

    try:
        wait_for(lambda: unsent() == 0, deliveries / api.rate * 3 + 60, "the outbox to drain", step=0.5)
    except AssertionError:
        with Session(engine) as session:
            rows = session.exec(
                select(Delivery.status, Delivery.last_error, func.count()).group_by(
                    Delivery.status, Delivery.last_error
                )
            ).all()
        print("outbox:", rows, "accepted", len(api.accepted), "rejected", api.rejected)
        raise
    first, last = api.accepted[0], api.accepted[-1]
    return {
        "sending": last - first,
        "queued_to_done": last - queued,
        "minimum": (deliveries - api.burst) / api.rate,
        "rejected": api.rejected,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--db", default="")
    parser.add_argument("--show-log", action="store_true", help="print the server's log at the end")
    args = parser.parse_args()
    account = WECHAT.rates.account
    assert account is not None
    # The fake allows the sender's own rate; its bucket holds JITTER more tokens, because the sender's
    # bucket and the fake's see the same send a few milliseconds apart.
    api = RateLimitedApi(rate=account.per_second, burst=account.capacity + JITTER)
    with tempfile.TemporaryDirectory() as tmp, serve(api.app) as api_base:
        work = Path(tmp)
        db_url = args.db or f"sqlite:///{work / 'load.db'}"
        engine = make_engine(db_url)
        upgrade(engine)
        (work / "zhibu.toml").write_text(
            f'[wechat.bench]\napp_id = "{OA_APP_ID}"\ntoken = "{OA_TOKEN}"\nencoding_aes_key = "{OA_AES}"\n'
            f'app_secret = "bench-secret"\napi_base_url = "{api_base}/cgi-bin/"\n\n[schedules]\nenabled = false\n',  # noqa: E501
            encoding="utf-8",
        )
        env = {
            "ZHIBU_CONFIG": str(work / "zhibu.toml"),
            "ZHIBU_DATABASE_URL": db_url,
            "ZHIBU_DATA_DIR": tmp,
            "ZHIBU_LOG_LEVEL": "warning",
        }
        with serving([ServeProcess("load", env, work)]) as (proc,):
            result = asyncio.run(callbacks(proc.port, args.messages))
            with Session(engine) as session:
                handled = session.exec(select(func.count()).select_from(InboundLog)).one()
            drained = drain(engine, api, args.deliveries)
            if args.show_log:
                print(proc.log())
        engine.dispose()
    lat = result["latencies"]
    print(f"backend: {make_engine(db_url).dialect.name}")
    print(f"callbacks: {args.messages} messages x 3 copies = {result['requests']} requests, all at once")
    print(
        f"  statuses {result['statuses']}; handled {handled} (expected {args.messages}); "
        f"messages whose copies got different replies: {result['differing_replies']}"
    )
    print(
        f"  throughput {result['requests'] / result['elapsed']:.0f} req/s over {result['elapsed']:.2f} s; "
        f"latency p50 {statistics.median(lat) * 1000:.0f} ms, p99 {percentile(lat, 0.99) * 1000:.0f} ms"
    )
    print(
        f"outbox drain: {args.deliveries} deliveries, fake API limit {api.rate:.0f}/s burst {api.burst:.0f}"
    )
    print(
        f"  first to last send {drained['sending']:.1f} s vs theoretical minimum {drained['minimum']:.1f} s "
        f"({drained['sending'] / drained['minimum'] * 100 - 100:+.1f} %); queued-to-done {drained['queued_to_done']:.1f} s; "  # noqa: E501
        f"rejected sends {drained['rejected']:.0f}"
    )


if __name__ == "__main__":
    main()
