"""Benchmark: safe-mode 公众号 callbacks per second and p50/p99 latency through the whole zhibu stack.

Three servers answer the same encrypted text message on 127.0.0.1, each in its
own process, measured in the same run by the same load generator:

- zhibu: ``bot.app`` from ``build_runtime`` under uvicorn (sender, scheduler and
  housekeeping running beside it, as in ``zhibu serve``): freshness + signature
  check, AES decrypt, XML parse, router (one query for dedupe + sender + chat, the
  handler, the reply stored in the SQLite inbound log: one claim statement and one
  commit per batch of messages), encrypted passive reply;
- minimal: a bare Starlette endpoint doing wechatpy decrypt + parse + encrypted
  reply, no database (the floor for Python + wechatpy here);
- werobot: WeRoBot under gunicorn (one sync worker), sessions off: parse + reply, nothing stored;
- werobot+sessions: the same with WeRoBot's default SQLite session store, which (like zhibu's
  inbound log) writes per message.

Every request carries a fresh MsgId (so zhibu writes an inbound-log row for each)
and is signed and encrypted beforehand. The load generator is a small asyncio
HTTP/1.1 client (keep-alive where the server allows it) with bounded concurrency,
bounded in time. Targets (issue 3 item 9): zhibu >= 1,000/s, p99 < 20 ms, >= 2x WeRoBot.

    .venv/bin/python bench/callback.py [--seconds 5] [--concurrency 8] [--text 帮助]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "benchToken1"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx1234567890abcdef"
ACCOUNT = {"app_id": APP_ID, "token": TOKEN, "encoding_aes_key": AES_KEY}


# --- the servers (each runs in its own process: `callback.py --serve KIND --port N`) ---


def serve_zhibu(port: int, db_url: str) -> None:
    import uvicorn

    from bot.app import create_app
    from bot.runtime import build_runtime
    from bot.settings import Settings

    runtime = build_runtime(Settings(database_url=db_url, wechat={"bench": ACCOUNT}))
    uvicorn.run(create_app(runtime), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve_minimal(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
    from wechatpy import parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.replies import create_reply

    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)

    async def callback(request: Request) -> Response:
        q = request.query_params
        plain = crypto.decrypt_message(await request.body(), q["msg_signature"], q["timestamp"], q["nonce"])
        message = parse_message(plain)
        reply = create_reply(f"收到：{message.content}", message)
        return Response(crypto.encrypt_message(reply.render(), q["nonce"], q["timestamp"]), media_type="application/xml")

    app = Starlette(routes=[Route("/wechat/bench", callback, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def werobot_app(sessions: bool = False) -> Any:
    """The WSGI app gunicorn loads as ``callback:werobot_app()``; sessions: WeRoBot's default SQLite store."""
    from werobot import WeRoBot
    from werobot.session.sqlitestorage import SQLiteStorage

    robot = WeRoBot(token=TOKEN, encoding_aes_key=AES_KEY, app_id=APP_ID)
    # the constructor treats session_storage=False as unset and opens a SQLite file in the working
    # directory; ours goes in the run's temporary directory (removed when the run ends), named by
    # start() (gunicorn's --chdir makes the working directory bench/, inside the repository)
    store = os.path.join(os.environ["ZHIBU_BENCH_DIR"], f"werobot-bench-{os.getpid()}.sqlite3")
    robot.config["SESSION_STORAGE"] = SQLiteStorage(store) if sessions else False

    @robot.text
    def echo(message: Any) -> str:
        return f"收到：{message.content}"

    return robot.wsgi


# --- the load generator ---


def build_requests(count: int, text: str, port: int, first_id: int = 9_000_000_000) -> list[bytes]:
    """Signed, encrypted POSTs with distinct MsgIds, built before the clock starts."""
    import hashlib

    import xmltodict
    from wechatpy.crypto import WeChatCrypto

    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    now = int(time.time())
    out = []
    for i in range(count):
        ts, nonce = str(now), str(100000 + i)
        fields = {"ToUserName": "gh_bench", "FromUserName": f"o-user{i % 500}", "CreateTime": now,
                  "MsgType": "text", "Content": text, "MsgId": first_id + i}
        envelope = xmltodict.parse(crypto.encrypt_message(xmltodict.unparse({"xml": fields}, full_document=False),
                                                          nonce, ts))["xml"]
        body = xmltodict.unparse({"xml": {"ToUserName": "gh_bench", "Encrypt": envelope["Encrypt"]}},
                                 full_document=False).encode()
        signature = hashlib.sha1("".join(sorted([TOKEN, ts, nonce])).encode()).hexdigest()
        query = urlencode({"signature": signature, "timestamp": ts, "nonce": nonce, "openid": fields["FromUserName"],
                           "encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]})
        head = (f"POST /wechat/bench?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n")
        out.append(head.encode() + body)
    return out


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> tuple[int, bool, bytes]:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() == "close", body


async def load(port: int, requests: list[bytes], seconds: float, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    queue = iter(requests)
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        reader = writer = None
        for raw in queue:
            if time.perf_counter() > stop_at:
                break
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            started = time.perf_counter()
            status, close, body = await _one(reader, writer, raw)  # type: ignore[arg-type]
            latencies.append(time.perf_counter() - started)
            if status != 200 or b"<Encrypt>" not in body:
                errors += 1
            if close:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return summarize(latencies, time.perf_counter() - began, errors)


async def load_at_rate(
    port: int, requests: list[bytes], seconds: float, rate: float, connections: int = 64
) -> dict[str, Any]:
    """Open loop: one request every 1/rate s whatever the answers do, over at most ``connections``
    connections; latency counts from the planned send, so waiting for a connection counts too."""
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    slots = asyncio.Semaphore(connections)
    latencies: list[float] = []
    errors = 0

    async def fire(raw: bytes, planned: float) -> None:
        nonlocal errors
        async with slots:
            reader, writer = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
            status, close, body = await _one(reader, writer, raw)
            latencies.append(time.perf_counter() - planned)
            errors += status != 200 or b"<Encrypt>" not in body
            if close:
                writer.close()
            else:
                idle.append((reader, writer))

    began = time.perf_counter()
    tasks = []
    for i, raw in enumerate(requests[: int(seconds * rate)]):
        planned = began + i / rate
        if (delay := planned - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(raw, planned)))
    await asyncio.gather(*tasks)
    for _, writer in idle:
        writer.close()
    return summarize(latencies, time.perf_counter() - began, errors)


def summarize(latencies: list[float], elapsed: float, errors: int) -> dict[str, Any]:
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "n": len(latencies),
        "errors": errors,
    }


# --- orchestration ---


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def start(kind: str, port: int, db_url: str) -> subprocess.Popen[bytes]:
    workdir = Path(db_url.removeprefix("sqlite:///")).parent  # the run's temporary directory
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ZHIBU_BENCH_DIR": str(workdir)}
    if kind.startswith("werobot"):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        factory = "callback:werobot_app(True)" if kind == "werobot+sessions" else "callback:werobot_app()"
        cmd = [str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
               "--chdir", str(ROOT / "bench"), factory]
    else:
        cmd = [sys.executable, __file__, "--serve", kind, "--port", str(port), "--db", db_url]
    proc = subprocess.Popen(cmd, env=env, cwd=workdir)
    wait_listening(port, proc)
    return proc


def measure(kind: str, args: argparse.Namespace, db_url: str) -> dict[str, dict[str, Any]]:
    """Closed-loop capacity, then (zhibu and minimal only) latency at the target rate offered open-loop."""
    port = free_port()
    proc = start(kind, port, db_url)
    try:
        asyncio.run(load(port, build_requests(300, args.text, port), 1.0, args.concurrency))
        requests = build_requests(int(args.seconds * 5000), args.text, port, first_id=9_100_000_000)
        results = {"capacity": asyncio.run(load(port, requests, args.seconds, args.concurrency))}
        if not kind.startswith("werobot") and args.rate:
            paced = build_requests(int(args.seconds * args.rate), args.text, port, first_id=9_200_000_000)
            results["paced"] = asyncio.run(load_at_rate(port, paced, args.seconds, args.rate))
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def prepare_db(directory: Path) -> str:
    from storage.db import make_engine, upgrade

    url = f"sqlite:///{directory / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--text", default="帮助")
    parser.add_argument("--rate", type=float, default=1000.0, help="open-loop rate for the latency run (0: skip)")
    parser.add_argument("--only", default="zhibu,minimal,werobot,werobot+sessions")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "zhibu":
        return serve_zhibu(args.port, args.db)
    if args.serve == "minimal":
        return serve_minimal(args.port)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        db_url = prepare_db(Path(tmp))
        results = {kind: measure(kind, args, db_url) for kind in args.only.split(",")}
    print(f"safe-mode callbacks, {args.seconds:.0f} s each, concurrency {args.concurrency}, text {args.text!r}, "
          f"{os.cpu_count()} CPUs")
    print(f"{'server':<17}{'load':<22}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}{'errors':>8}")
    for kind, runs in results.items():
        for name, r in runs.items():
            load_name = f"closed, {args.concurrency} in flight" if name == "capacity" else f"open, {args.rate:.0f}/s offered"
            print(f"{kind:<17}{load_name:<22}{r['rps']:>8.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['n']:>10}{r['errors']:>8}")
    for other in ("werobot", "werobot+sessions", "minimal"):
        if "zhibu" in results and other in results:
            ratio = results["zhibu"]["capacity"]["rps"] / results[other]["capacity"]["rps"]
            print(f"zhibu / {other} capacity: {ratio:.2f}x")
    print("targets: zhibu >= 1000/s, p99 < 20 ms at 1000/s offered, >= 2x WeRoBot")


if __name__ == "__main__":
    main()
