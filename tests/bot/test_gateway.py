"""Callbacks built with wechatpy's crypto, through the real ASGI app, as WeChat and WeCom send them."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select

import bot.router
from bot.app import create_app
from bot.router import Router
from handlers import texts
from storage.models import Delivery, InboundLog
from tests.bot.callbacks import (
    AGENT_ID,
    CORP_ID,
    OA_TOKEN,
    sign,
    subscribe_xml,
    text_xml,
    wechat_post,
    wechat_reply,
    wecom_post,
    wecom_reply,
)
from tests.bot.conftest import MakeRuntime
from tests.fakes.clock import FakeClock

pytestmark = pytest.mark.anyio


def count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


@pytest.mark.parametrize("safe", [False, True], ids=["plaintext", "safe-mode"])
async def test_a_wechat_text_gets_a_passive_reply(
    client: httpx.AsyncClient, clock: FakeClock, safe: bool
) -> None:
    now = clock.now()
    signed = wechat_post(text_xml("o-member", "帮助", 1001, int(now.timestamp())), now, safe=safe)
    response = await client.post(
        f"/wechat/{'safe' if safe else 'plain'}", params=signed.params, content=signed.body
    )
    assert response.status_code == 200
    reply = wechat_reply(response.text, safe=safe)
    assert reply["ToUserName"] == "o-member" and reply["FromUserName"] == "gh_zhibu"
    assert reply["MsgType"] == "text" and reply["Content"] == texts.HELP


async def test_a_wecom_text_gets_an_encrypted_passive_reply(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    now = clock.now()
    signed = wecom_post(
        text_xml("zhangsan", "帮助", 2001, int(now.timestamp()), to=CORP_ID, agent=AGENT_ID), now
    )
    response = await client.post("/wecom/default", params=signed.params, content=signed.body)
    assert response.status_code == 200
    reply = wecom_reply(response.text)
    assert reply["ToUserName"] == "zhangsan" and reply["AgentID"] == str(AGENT_ID)
    assert reply["Content"] == texts.HELP


async def test_following_the_account_gets_the_welcome(client: httpx.AsyncClient, clock: FakeClock) -> None:
    now = clock.now()
    signed = wechat_post(subscribe_xml("o-new", int(now.timestamp())), now, safe=True)
    response = await client.post("/wechat/safe", params=signed.params, content=signed.body)
    assert wechat_reply(response.text, safe=True)["Content"] == texts.WELCOME


async def test_url_verification_echoes_for_both_platforms(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    ts = str(int(clock.now().timestamp()))
    params = {"timestamp": ts, "nonce": "42", "echostr": "9876543210", "signature": sign(OA_TOKEN, ts, "42")}
    response = await client.get("/wechat/safe", params=params)
    assert (response.status_code, response.text) == (200, "9876543210")
    signed = wecom_post("<xml/>", clock.now())  # any encrypted text serves as an echostr
    echostr = signed.body.split("<Encrypt>")[1].split("</Encrypt>")[0]
    from tests.bot.callbacks import WORK_TOKEN

    query = {**signed.params, "echostr": echostr, "msg_signature": sign(WORK_TOKEN, ts, "654321", echostr)}
    response = await client.get("/wecom/default", params=query)
    assert (response.status_code, response.text) == (200, "<xml/>")


@pytest.mark.parametrize("account", ["plain", "safe"])
async def test_a_forged_signature_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, clock: FakeClock, engine: Engine, account: str
) -> None:
    now = clock.now()
    signed = wechat_post(
        text_xml("o-member", "帮助", 1002, int(now.timestamp())), now, safe=account == "safe"
    )
    key = "msg_signature" if account == "safe" else "signature"
    signed.params[key] = signed.params[key][:-1] + ("0" if signed.params[key][-1] != "0" else "1")
    response = await client.post(f"/wechat/{account}", params=signed.params, content=signed.body)
    assert (response.status_code, response.text) == (403, "")
    assert count(engine, InboundLog) == 0 and count(engine, Delivery) == 0


async def test_a_stale_or_future_timestamp_is_refused(
    client: httpx.AsyncClient, clock: FakeClock, engine: Engine
) -> None:
    for skew in (timedelta(minutes=-6), timedelta(minutes=6)):
        then = clock.now() + skew
        signed = wechat_post(text_xml("o-member", "帮助", 1003, int(then.timestamp())), then, safe=True)
        response = await client.post("/wechat/safe", params=signed.params, content=signed.body)
        assert response.status_code == 403
    assert count(engine, InboundLog) == 0


async def test_a_plaintext_query_string_from_a_callback_not_answered_carries_no_question(
    client: httpx.AsyncClient, clock: FakeClock, engine: Engine
) -> None:
    """A picture gets "success" and no answer, but its signed query string (say, in an access log)
    is used up all the same: it cannot then carry a question asked in someone else's name."""
    now = clock.now()
    picture = text_xml("o-member", "x", 1010, int(now.timestamp())).replace(
        "<MsgType>text</MsgType>", "<MsgType>image</MsgType>"
    )
    signed = wechat_post(picture, now, safe=False, nonce="1010")
    assert (await client.post("/wechat/plain", params=signed.params, content=signed.body)).text == "success"
    forged = text_xml("o-secretary", "本月政治生日", 1011, int(now.timestamp()))
    assert (await client.post("/wechat/plain", params=signed.params, content=forged)).status_code == 403
    assert (await client.post("/wechat/plain", params=signed.params, content=signed.body)).text == "success"
    assert count(engine, Delivery) == 0


@pytest.mark.parametrize("path", ["/wechat/safe", "/wecom/default"])
async def test_a_signed_encrypted_query_string_carries_its_own_body_only(
    client: httpx.AsyncClient, clock: FakeClock, engine: Engine, path: str
) -> None:
    """Where the signature covers the encrypted body, a replay of the same body is a platform retry
    (answered again, handled once) and any other body under the same query string fails the signature."""
    now = clock.now()

    def post(sender: str, text: str, msg_id: int):  # type: ignore[no-untyped-def]
        if path == "/wecom/default":
            return wecom_post(
                text_xml(sender, text, msg_id, int(now.timestamp()), to=CORP_ID, agent=AGENT_ID), now
            )
        return wechat_post(text_xml(sender, text, msg_id, int(now.timestamp())), now, safe=True)

    def content(response: httpx.Response) -> str:
        return (
            wecom_reply(response.text) if path == "/wecom/default" else wechat_reply(response.text, safe=True)
        )["Content"]

    first, other = post("o-member", "帮助", 1020), post("o-secretary", "本月政治生日", 1021)
    answers = [await client.post(path, params=first.params, content=first.body) for _ in range(2)]
    assert [content(r) for r in answers] == [texts.HELP, texts.HELP]
    assert (await client.post(path, params=first.params, content=other.body)).status_code == 403
    assert count(engine, InboundLog) == 1


async def test_plaintext_posts_to_a_safe_mode_account_are_refused(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    now = clock.now()
    signed = wechat_post(text_xml("o-member", "帮助", 1004, int(now.timestamp())), now, safe=False)
    assert (await client.post("/wechat/safe", params=signed.params, content=signed.body)).status_code == 403


async def test_unknown_accounts_and_oversized_bodies(client: httpx.AsyncClient, clock: FakeClock) -> None:
    assert (await client.post("/wechat/nobody", content=b"<xml/>")).status_code == 404
    now = clock.now()
    signed = wechat_post(text_xml("o-member", "党" * 30_000, 1005, int(now.timestamp())), now, safe=False)
    assert (await client.post("/wechat/plain", params=signed.params, content=signed.body)).status_code == 413
    assert (await client.get("/healthz")).json()["ok"] is True


async def test_an_entity_bomb_is_refused(client: httpx.AsyncClient, clock: FakeClock) -> None:
    now = clock.now()
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        "<xml><FromUserName>&b;</FromUserName><MsgType>text</MsgType><Content>x</Content></xml>"
    )
    signed = wechat_post(bomb, now, safe=False)
    assert (await client.post("/wechat/plain", params=signed.params, content=signed.body)).status_code == 400


class CountingDispatch:
    """The real command dispatch, counted, and optionally held until the test lets it go."""

    def __init__(self, hold: threading.Event | None = None) -> None:
        self.calls = 0
        self.hold = hold
        self.real = bot.router.dispatch

    def __call__(self, ctx):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.hold is not None:
            assert self.hold.wait(timeout=30)
        return self.real(ctx)


async def test_a_retried_message_runs_once_and_gets_the_same_reply(
    make_runtime: MakeRuntime, clock: FakeClock, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingDispatch()
    monkeypatch.setattr(bot.router, "dispatch", counting)
    now = clock.now()
    signed = wechat_post(text_xml("o-member", "帮助", 7001, int(now.timestamp())), now, safe=True)
    bodies = []
    for runtime in (make_runtime(), make_runtime()):  # two processes sharing one database
        transport = httpx.ASGITransport(app=create_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://zhibu.test") as http:
            for _ in range(2 if not bodies else 1):
                response = await http.post("/wechat/safe", params=signed.params, content=signed.body)
                bodies.append(wechat_reply(response.text, safe=True)["Content"])
    assert counting.calls == 1
    assert bodies == [texts.HELP] * 3
    assert count(engine, InboundLog) == 1


async def test_a_slow_handler_is_retried_until_stored_then_the_reply_is_queued(
    make_runtime: MakeRuntime, clock: FakeClock, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    counting = CountingDispatch(hold=release)
    monkeypatch.setattr(bot.router, "dispatch", counting)
    runtime = make_runtime(reply_deadline=0.2)
    now = clock.now()
    signed = wechat_post(text_xml("o-member", "帮助", 7002, int(now.timestamp())), now, safe=True)
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://zhibu.test") as http:
        first = await http.post("/wechat/safe", params=signed.params, content=signed.body)
        retry = await http.post("/wechat/safe", params=signed.params, content=signed.body)
        # nothing is stored yet: "success" would make WeChat stop retrying, so it gets an error
        assert (first.status_code, retry.status_code) == (503, 503)
        release.set()
        runtime.router.close()  # waits for the handler to finish
        # the next retry finds the stored outcome in the inbound log, here in a restarted process
        runtime.router = Router(engine, clock, deadline=0.2)
        last = await http.post("/wechat/safe", params=signed.params, content=signed.body)
    assert (last.status_code, last.text) == (200, "success")
    with Session(engine) as session:
        deliveries = session.exec(select(Delivery)).all()
        log = session.exec(select(InboundLog)).one()
    assert [(d.channel, d.account, d.chat_id, d.text) for d in deliveries] == [
        ("wechat", "safe", "o-member", texts.HELP)
    ]
    assert log.reply is None and counting.calls == 1
