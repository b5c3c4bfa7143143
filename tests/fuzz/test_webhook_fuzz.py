"""Hostile requests against the real ASGI app: never a 500, never processed without a valid signature.

Each example goes through routing, body limits, signature and timestamp checks,
decryption and parsing exactly as a platform's request would. Payloads that are
validly signed (plaintext bodies are not covered by WeChat's signature; safe-mode
ones are encrypted with wechatpy's own crypto) must still be refused when hostile.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from bot.app import create_app
from bot.channels.telegram import SECRET_HEADER
from bot.request_body import MAX_BODY
from bot.runtime import build_runtime
from bot.settings import Settings
from storage.models import Delivery, InboundLog
from tests.bot.callbacks import OA_TOKEN, sign, text_xml, wechat_post, wechat_table, wecom_post, wecom_table
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve
from tests.fuzz.strategies import (
    FUZZ,
    XINCLUDE,
    hostile_bodies,
    hostile_xml,
    junk_queries,
    mangle,
    mangled_updates,
)

REFUSED = {400, 403, 404, 405, 413}
TG_TOKEN, TG_SECRET = "123456:" + "A" * 30, "tg-secret-0123456789"


@pytest.fixture
def gateway(db_url: str, engine: Engine, clock: FakeClock) -> Iterator[httpx.Client]:
    """The app served by uvicorn on loopback (real HTTP parsing), without its background services."""
    tables = {
        "wechat": {"plain": wechat_table(safe=False), "safe": wechat_table(safe=True)},
        "wecom": {"default": wecom_table()},
        "telegram": {
            "default": {
                "bot_token": TG_TOKEN,
                "webhook_secret": TG_SECRET,
                "api_base_url": "http://127.0.0.1:9",
            }
        },
    }
    runtime = build_runtime(Settings(database_url=db_url, **tables), clock=clock, engine=engine)
    with serve(create_app(runtime)) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield client
    runtime.router.close()


def stored(engine: Engine) -> tuple[int, int]:
    """How many messages were handled and how many replies queued: both stay 0 for refused requests."""
    with Session(engine) as session:
        messages = ~col(InboundLog.key).startswith("sig:")  # not the used-signature entries of plaintext mode
        handled = session.exec(select(func.count()).select_from(InboundLog).where(messages)).one()
        queued = session.exec(select(func.count()).select_from(Delivery)).one()
    return handled, queued


def plaintext_query(clock: FakeClock) -> dict[str, str]:
    ts, nonce = str(int(clock.now().timestamp())), "424242"
    return {"timestamp": ts, "nonce": nonce, "signature": sign(OA_TOKEN, ts, nonce)}


@FUZZ
@given(
    path=st.sampled_from(
        ["/wechat/plain", "/wechat/safe", "/wecom/default", "/wechat/nobody", "/telegram/default"]
    ),
    query=junk_queries,
    body=hostile_bodies,
    method=st.sampled_from(["POST", "GET"]),
)
def test_unsigned_junk_is_refused_and_nothing_is_stored(
    gateway: httpx.Client, engine: Engine, path, query, body, method
) -> None:  # type: ignore[no-untyped-def]
    response = gateway.request(method, path, params=query, content=body if method == "POST" else None)
    assert response.status_code in REFUSED, response.text[:200]
    assert stored(engine) == (0, 0)


@FUZZ
@given(body=hostile_bodies)
def test_a_signed_plaintext_callback_with_a_hostile_body_is_refused(
    gateway: httpx.Client, engine: Engine, clock: FakeClock, body: bytes
) -> None:
    """WeChat's plaintext signature covers only token, timestamp and nonce: the body itself is untrusted."""
    response = gateway.post("/wechat/plain", params=plaintext_query(clock), content=body)
    assert response.status_code in REFUSED, response.text[:200]
    assert stored(engine) == (0, 0)


@FUZZ
@given(xml=hostile_xml)
def test_hostile_xml_inside_a_validly_encrypted_callback_is_refused(
    gateway: httpx.Client, engine: Engine, clock: FakeClock, xml: str
) -> None:
    """An attacker who had the keys still cannot make the parser expand entities or crash."""
    for path, signed in (
        ("/wechat/safe", wechat_post(xml, clock.now(), safe=True)),
        ("/wecom/default", wecom_post(xml, clock.now())),
    ):
        response = gateway.post(path, params=signed.params, content=signed.body)
        assert response.status_code in REFUSED, (path, response.text[:200])
    assert stored(engine) == (0, 0)


@FUZZ
@given(
    body=hostile_bodies,
    secret=st.one_of(
        st.none(), st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=40)
    ),
)
def test_telegram_updates_without_the_secret_are_refused_and_junk_with_it_never_crashes(
    gateway: httpx.Client, engine: Engine, body: bytes, secret: str | None
) -> None:
    headers = {} if secret is None else {SECRET_HEADER: secret}
    assert gateway.post("/telegram/default", headers=headers, content=body).status_code == 403
    response = gateway.post("/telegram/default", headers={SECRET_HEADER: TG_SECRET}, content=body)
    assert response.status_code in REFUSED | {200}, response.text[
        :200
    ]  # 200: an update that is not a text message
    assert stored(engine) == (0, 0)


@FUZZ
@given(update=mangled_updates)
@example(update=mangle(("message", "chat", "type"), ["group"]))
@example(update=mangle(("message", "from", "first_name"), ["a", "list"]))
def test_a_mangled_telegram_update_is_acknowledged_never_a_server_error(
    gateway: httpx.Client, update: dict
) -> None:  # type: ignore[type-arg]
    """A 500 would make Telegram send the same update again and again; a skipped one is acknowledged."""
    response = gateway.post(
        "/telegram/default", headers={SECRET_HEADER: TG_SECRET}, content=json.dumps(update)
    )
    assert response.status_code == 200, response.text[:200]


def test_xinclude_is_never_followed(gateway: httpx.Client, engine: Engine, clock: FakeClock) -> None:
    """ElementTree does not process XInclude: the element is just an unknown child, the file is never read."""
    xml = XINCLUDE
    for path, signed in (
        ("/wechat/safe", wechat_post(xml, clock.now(), safe=True)),
        ("/wecom/default", wecom_post(xml, clock.now())),
    ):
        response = gateway.post(path, params=signed.params, content=signed.body)
        assert response.status_code in REFUSED | {200}
        assert "root:" not in response.text


def test_an_oversized_body_is_refused_before_it_is_read(
    gateway: httpx.Client, engine: Engine, clock: FakeClock
) -> None:
    huge = b"<xml><Content>" + b"A" * (MAX_BODY + 1) + b"</Content></xml>"
    assert gateway.post("/wechat/plain", params=plaintext_query(clock), content=huge).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while streaming
        for _ in range(MAX_BODY // 1024 + 2):
            yield b"A" * 1024

    assert gateway.post("/wechat/plain", params=plaintext_query(clock), content=chunks()).status_code == 413
    assert stored(engine) == (0, 0)


@pytest.mark.parametrize("path", ["/wechat/plain", "/wechat/safe", "/wecom/default"])
def test_an_old_signed_callback_replayed_later_is_refused(
    gateway: httpx.Client, engine: Engine, clock: FakeClock, path: str
) -> None:
    """A captured, genuinely signed request is worthless once it leaves the timestamp window."""
    xml = text_xml(
        "o-replayer", "帮助", 9001, int(clock.now().timestamp()), agent=1000002 if "wecom" in path else None
    )
    signed = (
        wecom_post(xml, clock.now())
        if "wecom" in path
        else wechat_post(xml, clock.now(), safe="safe" in path)
    )
    assert gateway.post(path, params=signed.params, content=signed.body).status_code == 200
    assert stored(engine)[0] == 1
    clock.advance(timedelta(minutes=10))
    assert gateway.post(path, params=signed.params, content=signed.body).status_code == 403
    # the same message re-signed with a fresh timestamp is a platform retry: answered, not re-handled
    fresh = (
        wecom_post(xml, clock.now())
        if "wecom" in path
        else wechat_post(xml, clock.now(), safe="safe" in path)
    )
    assert gateway.post(path, params=fresh.params, content=fresh.body).status_code == 200
    assert stored(engine)[0] == 1


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6), timedelta(days=-3650)])
def test_a_timestamp_outside_the_window_is_refused(
    gateway: httpx.Client, engine: Engine, clock: FakeClock, skew: timedelta
) -> None:
    xml = text_xml("o-skewed", "帮助", 9002, int(clock.now().timestamp()))
    signed = wechat_post(xml, clock.now() + skew, safe=True)
    assert gateway.post("/wechat/safe", params=signed.params, content=signed.body).status_code == 403
    assert stored(engine) == (0, 0)


def test_deeply_nested_json_is_a_bad_request_everywhere(
    gateway: httpx.Client, engine: Engine, clock: FakeClock
) -> None:
    """Found by the fuzzer: json.loads raises RecursionError (not ValueError) past ~1,000 levels."""
    deep = b"[" * 20_000 + b"]" * 20_000
    assert (
        gateway.post("/telegram/default", headers={SECRET_HEADER: TG_SECRET}, content=deep).status_code == 400
    )
    assert gateway.post("/wechat/plain", params=plaintext_query(clock), content=deep).status_code == 400
    assert stored(engine) == (0, 0)


def test_a_plaintext_signature_carries_one_body_only(
    gateway: httpx.Client, engine: Engine, clock: FakeClock
) -> None:
    """Plaintext mode signs token, timestamp and nonce but not the body: a query string taken from an
    access log must not let anyone post another body, as another member, within the window."""
    now = int(clock.now().timestamp())
    first = wechat_post(text_xml("o-member", "帮助", 9101, now), clock.now(), safe=False, nonce="5150")
    assert gateway.post("/wechat/plain", params=first.params, content=first.body).status_code == 200
    forged = text_xml("o-secretary", "本月政治生日", 9102, now)
    assert gateway.post("/wechat/plain", params=first.params, content=forged).status_code == 403
    assert stored(engine)[0] == 1
    # WeChat's own retry sends the same body with the same query string: still answered, handled once
    retry = gateway.post("/wechat/plain", params=first.params, content=first.body)
    assert retry.status_code == 200 and "支部助手" in retry.text
    assert stored(engine)[0] == 1


@pytest.mark.parametrize("path", ["/wechat/plain", "/wechat/safe", "/wecom/default"])
def test_absurd_ids_in_a_signed_body_are_a_bad_request(
    gateway: httpx.Client, engine: Engine, clock: FakeClock, path: str
) -> None:
    """Found by the fuzzer on PostgreSQL: ids longer than the chat id and message key columns were a 500 there
    (and stored on SQLite, which does not check lengths)."""
    now = int(clock.now().timestamp())
    agent = 1000002 if "wecom" in path else None
    long_sender = text_xml("o" * 300, "帮助", 9201, now, agent=agent)
    long_msg_id = text_xml("o-long", "帮助", int("9" * 300), now, agent=agent)
    for xml in (long_sender, long_msg_id):
        if "wecom" in path:
            signed = wecom_post(xml, clock.now())
        else:
            signed = wechat_post(xml, clock.now(), safe="safe" in path)
        response = gateway.post(path, params=signed.params, content=signed.body)
        assert response.status_code == 400, response.text[:200]
    assert stored(engine) == (0, 0)


@pytest.mark.parametrize("path", ["/wechat/plain", "/wechat/safe", "/wecom/default"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_absurd_query_values_are_a_bad_request_not_a_crash(
    gateway: httpx.Client, engine: Engine, clock: FakeClock, path: str, method: str
) -> None:
    """int() of a 5,000-digit timestamp raises ValueError (more than 4,300 digits)."""
    huge = "9" * 5000
    for query in (
        {
            "timestamp": huge,
            "nonce": "1",
            "signature": sign(OA_TOKEN, huge, "1"),
            "msg_signature": "x",
            "echostr": "e",
        },
        {**plaintext_query(clock), "nonce": "n" * 500, "msg_signature": "x", "echostr": "e"},
    ):
        response = gateway.request(
            method, path, params=query, content=b"<xml/>" if method == "POST" else None
        )
        assert response.status_code == 400, response.text[:200]
    assert stored(engine) == (0, 0)
