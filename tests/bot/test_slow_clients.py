"""Slow and oversized requests over real sockets, against the app served with ``zhibu serve``'s limits.

The deadlines are shortened (half a second instead of five) so each case takes about a second;
a client that is never cut off fails the test when it gives up after ``GIVE_UP`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select
from starlette.applications import Starlette

from bot.app import create_app
from bot.http_server import LimitedHttpTools, uvicorn_options
from bot.runtime import Runtime
from storage.models import InboundLog
from tests.bot.callbacks import OA_TOKEN, sign, text_xml, wechat_post, wecom_post
from tests.bot.conftest import MakeRuntime
from tests.bot.test_telegram import SECRET, TOKEN
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve
from tests.raw_http import GIVE_UP, connect, head, oversized_head, read_response, trickle

QUICK = 0.5  # seconds: the shortened head and body deadlines


class QuickLimits(LimitedHttpTools):
    head_seconds = QUICK


@pytest.fixture
def runtime(make_runtime: MakeRuntime) -> Runtime:
    telegram = {
        "default": {"bot_token": TOKEN, "webhook_secret": SECRET, "api_base_url": "http://127.0.0.1:9"}
    }
    return make_runtime(telegram=telegram)


@contextmanager
def limited(app: Starlette) -> Iterator[int]:
    """The port of ``app`` served with ``zhibu serve``'s uvicorn options and the quick head deadline."""
    with serve(app, **(uvicorn_options() | {"http": QuickLimits})) as base:
        yield int(base.rsplit(":", 1)[1])


@pytest.fixture
def port(runtime: Runtime) -> Iterator[int]:
    with limited(create_app(runtime, body_seconds=QUICK)) as bound:
        yield bound


@pytest.fixture
def patient_port(runtime: Runtime) -> Iterator[int]:
    """The app with its real five-second body deadline."""
    with limited(create_app(runtime)) as bound:
        yield bound


def handled(engine: Engine) -> int:
    with Session(engine) as session:
        messages = ~col(InboundLog.key).startswith("sig:")  # not the used signatures of plaintext mode
        return session.exec(select(func.count()).select_from(InboundLog).where(messages)).one()


def signed_queries(clock: FakeClock) -> dict[str, dict[str, str]]:
    now = clock.now()
    xml = text_xml("o-slow", "帮助", 8801, int(now.timestamp()))
    work_xml = text_xml("slow", "帮助", 8802, int(now.timestamp()), agent=1000002)
    return {
        "/wechat/plain": wechat_post(xml, now, safe=False).params,
        "/wechat/safe": wechat_post(xml, now, safe=True).params,
        "/wecom/default": wecom_post(work_xml, now).params,
    }


def test_a_body_that_does_not_arrive_in_time_gets_408_and_the_connection_is_closed(
    port: int, clock: FakeClock, engine: Engine
) -> None:
    for path, query in signed_queries(clock).items():
        with connect(port) as sock:
            sock.sendall(head("POST", path, query, length=500) + b"<xml><ToUserName>")
            answer = trickle(sock)  # still sending, a byte at a time, after the answer
        assert answer.startswith(b"HTTP/1.1 408 "), (path, answer[:80])
    assert handled(engine) == 0


def test_a_telegram_update_that_does_not_arrive_in_time_gets_408(port: int) -> None:
    with connect(port) as sock:
        secret = f"X-Telegram-Bot-Api-Secret-Token: {SECRET}"
        sock.sendall(head("POST", "/telegram/default", {}, length=400, extra=secret) + b'{"update_id": 1')
        assert trickle(sock).startswith(b"HTTP/1.1 408 ")


def test_a_request_head_sent_slowly_or_not_at_all_is_cut_off(port: int) -> None:
    with connect(port) as sock:
        sock.sendall(b"POST /wechat/plain HTTP/1.1\r\nHost: zhibu.test\r\nX-Slow: ")
        assert trickle(sock) == b""
    with connect(port) as sock:  # connected, then silent
        assert trickle(sock, b"") == b""


def test_an_oversized_request_head_gets_431(port: int) -> None:
    answer = oversized_head(port)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:80]


def test_a_forged_or_stale_query_string_is_refused_before_the_body_is_read(
    patient_port: int, clock: FakeClock, engine: Engine
) -> None:
    """The body (declared, never sent) would take the full five-second deadline; the answer comes at once."""
    queries = signed_queries(clock)
    ts = str(int(clock.now().timestamp()) - 3600)
    forged = [
        ("/wechat/plain", {**queries["/wechat/plain"], "signature": "0" * 40}),
        ("/wechat/plain", {"timestamp": ts, "nonce": "1", "signature": sign(OA_TOKEN, ts, "1")}),
        ("/wechat/safe", {**queries["/wechat/safe"], "msg_signature": "not-a-signature"}),
        ("/wechat/safe", {k: v for k, v in queries["/wechat/safe"].items() if k != "encrypt_type"}),
        ("/wecom/default", {**queries["/wecom/default"], "msg_signature": "z" * 40}),
        ("/wecom/default", {**queries["/wecom/default"], "timestamp": ts}),
    ]
    for path, query in forged:
        with connect(patient_port) as sock:
            sock.settimeout(4.0)  # under the body deadline: a 408 would mean the body was waited for
            sock.sendall(head("POST", path, query, length=1000))
            answer = read_response(sock)
        assert answer.startswith(b"HTTP/1.1 403 "), (path, query, answer[:80])
    assert handled(engine) == 0


def test_callbacks_and_large_bodies_still_pass_the_limits(port: int, clock: FakeClock) -> None:
    now = clock.now()
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", timeout=GIVE_UP
    ) as client:  # one kept-alive connection
        for msg_id, nonce in ((8803, "881"), (8804, "882")):
            signed = wechat_post(
                text_xml("o-member", "帮助", msg_id, int(now.timestamp())), now, safe=False, nonce=nonce
            )
            response = client.post("/wechat/plain", params=signed.params, content=signed.body)
            assert response.status_code == 200 and "支部助手" in response.text
    # a 60 KB picture message, its body written in pieces after the head: none of it counts as head
    picture = text_xml("o-member", "x", 8805, int(now.timestamp())).replace(
        "<MsgType>text</MsgType>",
        f"<MsgType>image</MsgType><PicUrl>http://mmbiz.example/{'p' * 60_000}</PicUrl>",
    )
    signed = wechat_post(picture, now, safe=False, nonce="883")
    body = signed.body.encode()
    with connect(port) as sock:
        sock.sendall(head("POST", "/wechat/plain", signed.params, length=len(body)))
        for start in range(0, len(body), 4096):
            sock.sendall(body[start : start + 4096])
            time.sleep(0.005)  # separate reads on the server, as from a real network
        answer = read_response(sock)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"success"), answer[:80]
