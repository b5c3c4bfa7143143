"""Benchmark: 公众号 text callbacks through the whole zhibu stack, beside reference servers, in one run.

Every server answers the same signed text message on 127.0.0.1, each in its own process:

- zhibu: ``bot.app`` from ``build_runtime`` under uvicorn with ``zhibu serve``'s options (sender,
  scheduler and housekeeping running beside it), a SQLite file database, plaintext account;
- zhibu-aes: the same with a safe-mode (AES) account; zhibu-pg (``--postgres``): on PostgreSQL;
- minimal: a bare Starlette endpoint doing wechatpy's signature check, parse (decrypt) and
  reply, no database: the floor for Python + wechatpy here;
- werobot: WeRoBot under gunicorn (one sync worker), sessions off;
- werobot+sessions: the same with WeRoBot's SQLite session store, a durable write per message.

Load: wrk (the Debian package) with bench/callback.lua, which gives every request its own MsgId,
nonce, timestamp and a valid signature (and, in AES mode, its own encrypted body), so zhibu
stores one inbound-log row per request. With 2+ CPUs the server runs on CPU 0 and the load
generator on CPU 1 (taskset). Per server: ``--rounds`` closed-loop rounds (capacity, latency
at capacity, server CPU per request), then an open-loop run at ``--rate`` requests/s from a
Python generator that schedules each request by the clock and counts latency from the planned
send, so a stalled server cannot hide its tail (coordinated omission). Without wrk the same
Python client runs the closed loop too; the output says which generator ran.

``--soak SECONDS`` adds a long open-loop run against zhibu with the p99 of every minute, to show
the tail stays flat. The last line begins with ``targets:``. Commands and figures: bench/README.md.

    .venv/bin/python bench/callback.py [--seconds 10] [--rounds 3] [--text 三会一课是什么]
    bash scripts/postgres.sh .venv/bin/python bench/callback.py --postgres
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
# a server of --compare's revision imports zhibu from that checkout, not from this one
sys.path.insert(0, os.environ.get("ZHIBU_BENCH_CODE", str(ROOT)))

TOKEN = "benchToken1"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx1234567890abcdef"
USERS = 500
SERVER_CPU, CLIENT_CPU = "0", "1"


# --- the servers (each runs in its own process: `callback.py --serve KIND --port N`) ---


def serve_zhibu(port: int, db_url: str, aes: bool) -> None:
    import uvicorn

    from bot.app import create_app
    from bot.http_server import uvicorn_options
    from bot.runtime import build_runtime
    from bot.settings import Settings

    account = {"app_id": APP_ID, "token": TOKEN, **({"encoding_aes_key": AES_KEY} if aes else {})}
    runtime = build_runtime(Settings(database_url=db_url, wechat={"bench": account}))
    uvicorn.run(
        create_app(runtime),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        **uvicorn_options(),
    )


def serve_minimal(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
    from wechatpy import parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.replies import create_reply
    from wechatpy.utils import check_signature

    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)

    async def callback(request: Request) -> Response:
        q = request.query_params
        body = await request.body()
        check_signature(TOKEN, q["signature"], q["timestamp"], q["nonce"])
        if q.get("encrypt_type") != "aes":
            message = parse_message(body)
            return Response(
                create_reply(f"收到：{message.content}", message).render(), media_type="application/xml"
            )
        message = parse_message(crypto.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"]))
        reply = create_reply(f"收到：{message.content}", message)
        return Response(
            crypto.encrypt_message(reply.render(), q["nonce"], q["timestamp"]), media_type="application/xml"
        )

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


# --- requests: the same shape as bench/callback.lua builds, for the Python generator ---


class Signer:
    """Builds one unique, signed callback request per message id, plaintext or AES."""

    def __init__(self, port: int, text: str, aes: bool) -> None:
        self.port, self.text, self.aes = port, text, aes
        self.key = base64.b64decode(AES_KEY + "=")

    def _seal(self, xml: str) -> str:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        raw = xml.encode()
        plain = os.urandom(16) + struct.pack(">I", len(raw)) + raw + APP_ID.encode()
        pad = 32 - len(plain) % 32
        plain += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def request(self, msg_id: int) -> bytes:
        ts, nonce, user = str(int(time.time())), str(msg_id), f"o-user{msg_id % USERS}"
        xml = (
            f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{self.text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
        )
        query = {"signature": _sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, "openid": user}
        body = xml
        if self.aes:
            sealed = self._seal(xml)
            query |= {"encrypt_type": "aes", "msg_signature": _sign(TOKEN, ts, nonce, sealed)}
            body = (
                f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[{sealed}]]></Encrypt>"
            )
            body += "</xml>"
        data = body.encode()
        head = (
            f"POST /wechat/bench?{urlencode(query)} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Content-Type: text/xml\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        return head.encode() + data

    def ok(self, status: int, body: bytes) -> bool:
        return status == 200 and (b"<Encrypt>" if self.aes else b"<Content>") in body


def _sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class Ids:
    """Message ids never used before in this run (every round and server gets fresh ones)."""

    def __init__(self) -> None:
        self._next = 10**15 + int(time.time()) % 10_000 * 10**10

    def block(self) -> int:
        first, self._next = self._next, self._next + 10**10
        return first


# --- the Python load generator (open loop always; closed loop when wrk is missing) ---


async def _one(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[int, bool, bytes]:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() == "close", body


async def closed_loop(
    port: int, signer: Signer, first_id: int, seconds: float, connections: int
) -> dict[str, Any]:
    latencies: list[float] = []
    bad = 0
    ids = iter(range(first_id, first_id + 10**9))
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal bad
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < stop_at:
            raw = signer.request(next(ids))
            started = time.perf_counter()
            status, close, body = await _one(reader, writer, raw)
            latencies.append(time.perf_counter() - started)
            bad += not signer.ok(status, body)
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return summarize(latencies, time.perf_counter() - began, bad)


async def open_loop(
    port: int,
    signer: Signer,
    first_id: int,
    seconds: float,
    rate: float,
    window: float | None = None,
    connections: int = 64,
) -> dict[str, Any]:
    """One request every 1/rate s whatever the answers do, over at most ``connections`` connections;
    latency counts from the planned send, so waiting for a connection counts too. ``window``: also
    the p99 of each window of that many seconds (by planned send time)."""
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    slots = asyncio.Semaphore(connections)
    latencies: list[float] = []
    by_window: dict[int, list[float]] = {}
    bad = 0
    began = time.perf_counter()

    async def fire(raw: bytes, planned: float) -> None:
        nonlocal bad
        async with slots:
            reader, writer = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
            try:
                status, close, body = await _one(reader, writer, raw)
            except (OSError, asyncio.IncompleteReadError):  # the server closed an idle connection
                writer.close()  # (keep-alive timeout) before it read this request: again on a new one
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                status, close, body = await _one(reader, writer, raw)
            latency = time.perf_counter() - planned
            latencies.append(latency)
            if window:
                by_window.setdefault(int((planned - began) // window), []).append(latency)
            bad += not signer.ok(status, body)
            if close:
                writer.close()
            else:
                idle.append((reader, writer))

    async def counted(raw: bytes, planned: float) -> None:
        nonlocal bad
        try:
            await fire(raw, planned)
        except (OSError, asyncio.IncompleteReadError):
            bad += 1

    tasks: set[asyncio.Task[None]] = set()
    for i in range(int(seconds * rate)):
        planned = began + i / rate
        if (delay := planned - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(counted(signer.request(first_id + i), planned))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    for _, writer in idle:
        writer.close()
    result = summarize(latencies, time.perf_counter() - began, bad)
    result["windows"] = [percentile(sorted(v), 99) * 1000 for _, v in sorted(by_window.items())]
    return result


def percentile(ordered: list[float], p: float) -> float:
    return (
        ordered[max(0, min(len(ordered) - 1, round(len(ordered) * p / 100) - 1))] if ordered else float("nan")
    )


def summarize(latencies: list[float], elapsed: float, bad: int) -> dict[str, Any]:
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        **{f"p{p}": percentile(latencies, p) * 1000 for p in (50, 90, 99)},
        "n": len(latencies),
        "bad": bad,
    }


def run_python(args: Callable[..., Any], *rest: Any) -> Any:
    """A generator coroutine on its own core (the server has the other one)."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {int(CLIENT_CPU)})
    try:
        import uvloop

        return uvloop.run(args(*rest))
    except ImportError:
        return asyncio.run(args(*rest))
    finally:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


# --- wrk ---


def run_wrk(
    port: int, text: str, aes: bool, first_id: int, seconds: float, connections: int
) -> dict[str, Any]:
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--latency",
        "-s",
        str(ROOT / "bench/callback.lua"),
        f"http://127.0.0.1:{port}/wechat/bench",
        "--",
        "aes" if aes else "plain",
        TOKEN,
        AES_KEY,
        APP_ID,
        text,
        str(first_id),
        str(USERS),
    ]
    out = subprocess.run(pinned(cmd, CLIENT_CPU), capture_output=True, text=True, check=True).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        **{p: data[p] / 1000 for p in ("p50", "p90", "p99")},
        "n": data["requests"],
        "bad": data["bad"] + data["errors"],
    }


def pinned(cmd: list[str], cpu: str) -> list[str]:
    """The command pinned to one CPU when there are two or more and taskset exists."""
    if (os.cpu_count() or 1) > 1 and shutil.which("taskset"):
        return ["taskset", "-c", cpu, *cmd]
    return cmd


# --- orchestration ---


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants (gunicorn's worker is a child)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total


def start(kind: str, port: int, db_url: str, workdir: Path, root: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "ZHIBU_BENCH_CODE": str(root),
        "ZHIBU_BENCH_DIR": str(workdir),
    }
    if kind.startswith("werobot"):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        factory = "callback:werobot_app(True)" if kind == "werobot+sessions" else "callback:werobot_app()"
        cmd = [
            str(gunicorn),
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--chdir",
            str(ROOT / "bench"),
            factory,
        ]
    else:
        # the server code from ``root`` (a checkout of --compare's revision, or this one)
        cmd = [
            sys.executable,
            __file__,
            "--serve",
            kind.partition("@")[0],
            "--port",
            str(port),
            "--db",
            db_url,
        ]
    proc = subprocess.Popen(pinned(cmd, SERVER_CPU), env=env, cwd=workdir)
    wait_listening(port, proc)
    return proc


class Server:
    """One server under test, started once; its rounds interleave with the others' (shared noise)."""

    def __init__(self, kind: str, args: argparse.Namespace, db_url: str, workdir: Path, root: Path) -> None:
        self.kind, self.args = kind, args
        self.port = free_port()
        self.proc = start(kind, self.port, db_url, workdir, root)
        self.aes = kind.startswith("zhibu-aes") or (args.aes and not kind.startswith("zhibu"))
        self.signer = Signer(self.port, args.text, self.aes)
        self.results: dict[str, Any] = {"rounds": []}

    def closed(self, seconds: float, ids: Ids) -> dict[str, Any]:
        if self.args.wrk:
            return run_wrk(self.port, self.args.text, self.aes, ids.block(), seconds, self.args.connections)
        return run_python(closed_loop, self.port, self.signer, ids.block(), seconds, self.args.connections)

    def round(self, ids: Ids) -> None:
        """Closed loop: capacity, latency at capacity and the server's CPU per request."""
        profiler = self.profile() if not self.results["rounds"] else None
        before = cpu_seconds(self.proc.pid)
        result = self.closed(self.args.seconds, ids)
        if profiler is not None:
            profiler.wait()
        result["cpu_us"] = (cpu_seconds(self.proc.pid) - before) / max(result["n"], 1) * 1e6
        self.results["rounds"].append(result)

    def profile(self) -> subprocess.Popen[bytes] | None:
        """py-spy, sampling only the thread holding the GIL (where the CPU goes), during the first round."""
        spy = Path(sys.executable).with_name("py-spy")
        if not self.args.profile or not self.kind.startswith("zhibu") or not spy.exists():
            return None
        out = Path(self.args.profile) / f"{self.kind.replace('@', '-')}.txt"
        seconds = str(max(1, int(self.args.seconds) - 2))
        cmd = [str(spy), "record", "--gil", "--nonblocking", "-r", "200", "--format", "raw", "-d", seconds]
        return subprocess.Popen(
            pinned([*cmd, "-o", str(out), "-p", str(self.proc.pid)], CLIENT_CPU),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def paced(self, name: str, seconds: float, rate: float, ids: Ids, window: float | None = None) -> None:
        """Open loop at ``rate``, latency from each request's planned send."""
        self.results[name] = run_python(open_loop, self.port, self.signer, ids.block(), seconds, rate, window)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


def measure(servers: list[Server], args: argparse.Namespace, ids: Ids) -> None:
    """Warm-up, then round after round of every server in turn, then the open-loop runs (and the soak)."""
    for server in servers:
        server.closed(2.0, ids)  # connections, caches, the first batches
    for _ in range(args.rounds):
        for server in servers:
            server.round(ids)
    for server in servers:
        if args.rate and not server.kind.startswith("werobot"):
            server.paced("paced", args.seconds, args.rate, ids)
    for server in servers:
        if args.soak and server.kind.partition("@")[0] == "zhibu":  # also --compare's
            server.paced("soak", args.soak, args.soak_rate, ids, 60.0)


def prepare_db(url: str) -> str:
    from storage.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def median(rounds: list[dict[str, Any]], name: str) -> float:
    return statistics.median(r[name] for r in rounds)


def span(rounds: list[dict[str, Any]], name: str, fmt: str) -> str:
    values = sorted(r[name] for r in rounds)
    return format(values[0], fmt) if len(values) == 1 else f"{values[0]:{fmt}}–{values[-1]:{fmt}}"


def report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    generator = "wrk (bench/callback.lua)" if args.wrk else "Python asyncio client (wrk not found)"
    pinning = (
        "server on CPU 0, load on CPU 1"
        if pinned(["x"], "0") != ["x"]
        else "no pinning (1 CPU or no taskset)"
    )
    print(
        f"\n公众号 text callbacks, text {args.text!r}; closed loop: {generator}, 1 thread, "
        f"{args.connections} connections, {args.rounds} x {args.seconds:g} s; "
        f"open loop: Python, clock-scheduled; {pinning}; {os.cpu_count()} CPUs"
    )
    print(
        f"{'server':<18}{'load':<20}{'req/s':>13}{'p50 ms':>12}{'p90 ms':>12}{'p99 ms':>14}"
        f"{'CPU µs/req':>12}{'bad':>6}"
    )
    for kind, runs in results.items():
        rounds = runs["rounds"]
        print(
            f"{kind:<18}{'closed (capacity)':<20}{span(rounds, 'rps', ',.0f'):>13}"
            f"{span(rounds, 'p50', '.1f'):>12}{span(rounds, 'p90', '.1f'):>12}"
            f"{span(rounds, 'p99', '.1f'):>14}{span(rounds, 'cpu_us', '.0f'):>12}"
            f"{sum(r['bad'] for r in rounds):>6}"
        )
        for name in ("paced", "soak"):
            if name in runs:
                r = runs[name]
                rate = args.soak_rate if name == "soak" else args.rate
                load = f"open {rate:,.0f}/s" + (f" {args.soak:g} s" if name == "soak" else "")
                print(
                    f"{kind:<18}{load:<20}{r['rps']:>13,.0f}{r['p50']:>12.1f}{r['p90']:>12.1f}{r['p99']:>14.1f}"
                    f"{'':>12}{r['bad']:>6}"
                )
        if "soak" in runs:
            print(f"{kind:<18}p99 ms per minute: " + " ".join(f"{v:.1f}" for v in runs["soak"]["windows"]))
    for path in sorted(Path(args.profile).glob("*.txt")) if args.profile else []:
        print(f"\nprofile {path.stem} (share of the samples holding the GIL, by innermost function):")
        print(profile_summary(path))
    print(targets(results, args))


def profile_summary(path: Path, top: int = 12) -> str:
    """Where the samples of a py-spy raw profile went: the innermost Python function of each
    sample, by function (a C call such as SQLite's counts for the function that made it)."""
    counts: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        leaf = stack.rsplit(";", 1)[-1].split(":")[0] + ")" if stack else "?"
        counts[leaf] = counts.get(leaf, 0) + int(n)
        total += int(n)
    ranked = sorted(((n, name) for name, n in counts.items()), reverse=True)[:top]
    return "\n".join(f"  {n / total:6.1%}  {name}" for n, name in ranked)


def targets(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    """One line: MET, or each target missed with its figure (medians of the rounds)."""

    def cap(kind: str) -> float | None:
        return median(results[kind]["rounds"], "rps") if kind in results else None

    missed: list[str] = []
    checked = 0

    def check(name: str, value: float | None, ok: Callable[[float], bool], shown: str) -> None:
        nonlocal checked
        if value is None:
            return
        checked += 1
        if not ok(value):
            missed.append(f"{name} {shown.format(value)}")

    zhibu, bare, sessions = cap("zhibu"), cap("minimal"), cap("werobot+sessions")
    check("capacity/bare >= 0.35:", zhibu / bare if zhibu and bare else None, lambda v: v >= 0.35, "{:.2f}x")
    check(
        "capacity/WeRoBot+sessions >= 4:",
        zhibu / sessions if zhibu and sessions else None,
        lambda v: v >= 4,
        "{:.2f}x",
    )
    if "zhibu" in results:
        paced = results["zhibu"].get("paced")
        check(
            f"p99 at {args.rate:,.0f}/s <= 20 ms:",
            paced["p99"] if paced else None,
            lambda v: v <= 20,
            "{:.1f} ms",
        )
        check(
            "p99 at capacity <= 50 ms:",
            median(results["zhibu"]["rounds"], "p99"),
            lambda v: v <= 50,
            "{:.1f} ms",
        )
        soak = results["zhibu"].get("soak")
        check(
            "soak p99 <= 20 ms every minute:",
            max(soak["windows"]) if soak else None,
            lambda v: v <= 20,
            "{:.1f} ms",
        )
    pg, aes = cap("zhibu-pg"), cap("zhibu-aes")
    check("PostgreSQL/SQLite >= 0.6:", pg / zhibu if pg and zhibu else None, lambda v: v >= 0.6, "{:.2f}x")
    check("AES/plaintext >= 0.85:", aes / zhibu if aes and zhibu else None, lambda v: v >= 0.85, "{:.2f}x")
    bad = sum(
        r["bad"]
        for runs in results.values()
        for r in [*runs["rounds"], *(runs.get(k) for k in ("paced", "soak"))]
        if r
    )
    check("wrong or failed answers = 0:", bad, lambda v: v == 0, "{:.0f}")
    ratios = [f"/ {k} {zhibu / other:.2f}x" for k in results if k != "zhibu" and zhibu and (other := cap(k))]
    head = f"zhibu capacity {', '.join(ratios)} (medians of the rounds)\n" if ratios else ""
    if missed:
        return head + "targets: NOT MET — " + "; ".join(missed)
    return head + f"targets: MET ({checked} checked)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="each closed-loop round and the open-loop run"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--text", default="三会一课是什么")
    parser.add_argument("--rate", type=float, default=1000.0, help="open-loop requests/s (0: skip)")
    parser.add_argument(
        "--soak", type=float, default=0.0, help="seconds of open-loop load on zhibu (e.g. 600)"
    )
    parser.add_argument("--soak-rate", type=float, default=700.0, help="requests/s offered in the soak")
    parser.add_argument("--aes", action="store_true", help="the reference servers in AES mode too")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=os.environ.get("ZHIBU_TEST_PG_URL", ""),
        help="also zhibu on this PostgreSQL URL (default $ZHIBU_TEST_PG_URL)",
    )
    parser.add_argument("--compare", metavar="REV", help="also run zhibu's servers from this git revision")
    parser.add_argument(
        "--profile", metavar="DIR", help="py-spy profiles of zhibu's first rounds (raw stacks)"
    )
    parser.add_argument("--python-client", action="store_true", help="the Python client even if wrk exists")
    parser.add_argument("--only", default="zhibu,zhibu-aes,zhibu-pg,minimal,werobot,werobot+sessions")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve in ("zhibu", "zhibu-aes", "zhibu-pg"):
        return serve_zhibu(args.port, args.db, aes=args.serve == "zhibu-aes")
    if args.serve == "minimal":
        return serve_minimal(args.port)
    args.wrk = bool(shutil.which("wrk")) and not args.python_client
    kinds = [k for k in args.only.split(",") if k != "zhibu-pg" or args.postgres]
    if args.postgres == "":
        parser.error("--postgres needs a URL or $ZHIBU_TEST_PG_URL (bash scripts/postgres.sh ...)")
    with tempfile.TemporaryDirectory() as tmp:
        roots = {"": ROOT}
        if args.compare:  # the same zhibu servers from another revision, side by side
            base = Path(tmp) / "compare"
            base.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.compare], capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
            roots[f"@{args.compare}"] = base
            kinds += [k + f"@{args.compare}" for k in kinds if k.startswith("zhibu")]
        servers = []
        try:
            for kind in kinds:
                root = roots["@" + kind.partition("@")[2] if "@" in kind else ""]
                db = Path(tmp) / (kind.replace("@", "-").replace("+", "-").replace("/", "-") + ".db")
                url = f"sqlite:///{db}"
                if kind.startswith("zhibu-pg"):
                    url = postgres_database(args.postgres, "bench_" + db.stem.replace("-", "_"))
                servers.append(Server(kind, args, prepare_db(url), Path(tmp), root))
            measure(servers, args, Ids())
        finally:
            for server in servers:
                server.stop()
    report({server.kind: server.results for server in servers}, args)


def postgres_database(url: str, name: str) -> str:
    """A new empty database next to ``url``'s, for one server (dropped first if a run left it)."""
    from sqlalchemy import create_engine, make_url, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


if __name__ == "__main__":
    main()
