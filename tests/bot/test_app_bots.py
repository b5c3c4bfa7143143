"""钉钉 and 飞书 app bots through the whole stack: signed callback → router → outbox → sender → fake API.

The tests sign and encrypt callbacks themselves from the documented formulas (docs/platforms.md §5,
§6), so a mistake in the channel's checks is a refused or misread callback here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import create_app
from bot.runtime import Runtime, build_runtime
from bot.sender import Sender
from bot.settings import Settings
from storage.models import Delivery
from tests.fakes.app_bots_api import AppBotApi
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve

pytestmark = pytest.mark.anyio

APP_KEY, APP_SECRET = "dingappkey0001", "ding-app-secret-0001"
FS_APP, FS_SECRET, FS_TOKEN, FS_KEY = (
    "cli_a1b2c3d4e5",
    "feishu-app-secret",
    "verify-token-01",
    "encrypt-key-0001",
)


@pytest.fixture
def api() -> Iterator[tuple[AppBotApi, AppBotApi, str]]:
    dingtalk, feishu = AppBotApi(APP_KEY, APP_SECRET), AppBotApi(FS_APP, FS_SECRET)
    dingtalk_app, feishu_app = dingtalk.app(), feishu.app()

    async def either(scope: Any, receive: Any, send: Any) -> None:  # one server, each platform's paths
        target = feishu_app if scope.get("path", "").startswith("/open-apis") else dingtalk_app
        await target(scope, receive, send)

    with serve(either) as base:
        yield dingtalk, feishu, base


@pytest.fixture
def runtime(
    api: tuple[AppBotApi, AppBotApi, str], db_url: str, engine: Engine, clock: FakeClock
) -> Iterator[Runtime]:
    base = api[2]
    settings = Settings(
        database_url=db_url,
        dingtalk={"default": {"app_key": APP_KEY, "app_secret": APP_SECRET, "api_base_url": base}},
        feishu={
            "default": {
                "app_id": FS_APP,
                "app_secret": FS_SECRET,
                "verification_token": FS_TOKEN,
                "encrypt_key": FS_KEY,
                "api_base_url": base,
            }
        },
        schedules={"enabled": False},
    )
    built = build_runtime(settings, clock=clock, engine=engine)
    yield built
    built.router.close()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://zhibu.test") as http:
        yield http
    await runtime.stop()


def outbox(engine: Engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)))


async def send_all(runtime: Runtime) -> None:
    [sender] = [s for s in runtime.services if isinstance(s, Sender)]
    while await sender.run_once():
        pass


# -- 钉钉 --


def dingtalk_headers(clock: FakeClock, secret: str = APP_SECRET, *, ago: float = 0) -> dict[str, str]:
    stamp = str(int((clock.now().timestamp() - ago) * 1000))
    mac = hmac.new(secret.encode(), (stamp + "\n" + secret).encode(), hashlib.sha256).digest()
    return {"timestamp": stamp, "sign": base64.b64encode(mac).decode(), "content-type": "application/json"}


def dingtalk_message(text: str, msg_id: str, *, group: bool = False) -> bytes:
    body = {
        "msgtype": "text",
        "text": {"content": f" {text}"},
        "msgId": msg_id,
        "conversationType": "2" if group else "1",
        "conversationId": "cidGROUP01==",
        "senderStaffId": "staff-wang",
        "senderNick": "王书记",
        "robotCode": APP_KEY,
    }
    return json.dumps(body, ensure_ascii=False).encode()


async def test_a_dingtalk_message_is_answered_once_through_the_robot_api(
    client: httpx.AsyncClient,
    runtime: Runtime,
    api: tuple[AppBotApi, AppBotApi, str],
    engine: Engine,
    clock: FakeClock,
) -> None:
    dingtalk = api[0]
    for _ in range(3):  # the platform redelivers what it thinks was not answered
        response = await client.post(
            "/dingtalk/default", content=dingtalk_message("帮助", "msg-1"), headers=dingtalk_headers(clock)
        )
        assert response.status_code == 200
    group = await client.post(
        "/dingtalk/default",
        content=dingtalk_message("三会一课是什么", "msg-2", group=True),
        headers=dingtalk_headers(clock),
    )
    assert group.status_code == 200
    assert [(d.channel, d.chat_id, d.is_group) for d in outbox(engine)] == [
        ("dingtalk", "staff-wang", False),
        ("dingtalk", "cidGROUP01==", True),
    ]
    await send_all(runtime)
    private, in_group = dingtalk.sent
    assert (
        private["to"] == "staff-wang"
        and not private["group"]
        and "帮助" in json.dumps(private["content"], ensure_ascii=False)
    )
    assert (
        in_group["to"] == "cidGROUP01=="
        and in_group["group"]
        and "支部党员大会" in json.dumps(in_group["content"], ensure_ascii=False)
    )
    assert dingtalk.tokens_issued == 1  # one token for both, from the shared store


@pytest.mark.parametrize(
    "headers",
    [
        {"sign": "forged"},
        {"secret": "not-the-app-secret"},
        {"ago": 2 * 3600},  # a captured callback replayed later
    ],
    ids=["forged sign", "wrong secret", "stale"],
)
async def test_a_dingtalk_callback_that_is_not_the_platforms_is_refused(
    client: httpx.AsyncClient, engine: Engine, clock: FakeClock, headers: dict[str, Any]
) -> None:
    signed = dingtalk_headers(clock, headers.get("secret", APP_SECRET), ago=headers.get("ago", 0))
    if "sign" in headers:
        signed["sign"] = base64.b64encode(b"forged" * 5).decode()
    response = await client.post(
        "/dingtalk/default", content=dingtalk_message("帮助", "msg-9"), headers=signed
    )
    assert response.status_code == 403 and outbox(engine) == []


# -- 飞书 --


def encrypt(plain: dict[str, Any], key: str = FS_KEY) -> bytes:
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(json.dumps(plain, ensure_ascii=False).encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(hashlib.sha256(key.encode()).digest()), modes.CBC(iv)).encryptor()
    sealed = base64.b64encode(iv + encryptor.update(data) + encryptor.finalize()).decode()
    return json.dumps({"encrypt": sealed}).encode()


def feishu_headers(clock: FakeClock, body: bytes, key: str = FS_KEY) -> dict[str, str]:
    stamp, nonce = str(int(clock.now().timestamp())), "n0nce"
    sign = hashlib.sha256((stamp + nonce + key).encode() + body).hexdigest()
    return {
        "x-lark-request-timestamp": stamp,
        "x-lark-request-nonce": nonce,
        "x-lark-signature": sign,
        "content-type": "application/json",
    }


def feishu_event(text: str, event_id: str, *, token: str = FS_TOKEN, group: bool = True) -> dict[str, Any]:
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "event_type": "im.message.receive_v1",
            "token": token,
            "app_id": FS_APP,
        },
        "event": {
            "sender": {"sender_id": {"open_id": "ou_wang"}, "sender_type": "user"},
            "message": {
                "message_id": f"om_{event_id}",
                "chat_id": "oc_branch1",
                "chat_type": "group" if group else "p2p",
                "message_type": "text",
                "content": json.dumps({"text": f"@_user_1 {text}"}, ensure_ascii=False),
            },
        },
    }


async def post_feishu(client: httpx.AsyncClient, clock: FakeClock, plain: dict[str, Any]) -> httpx.Response:
    body = encrypt(plain)
    return await client.post("/feishu/default", content=body, headers=feishu_headers(clock, body))


async def test_feishu_checks_the_request_url_with_the_encrypted_challenge(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    check = {"type": "url_verification", "challenge": "ch-123", "token": FS_TOKEN}
    answered = await post_feishu(client, clock, check)
    assert answered.status_code == 200 and answered.json() == {"challenge": "ch-123"}
    wrong = await post_feishu(client, clock, {**check, "token": "someone-else"})
    assert wrong.status_code == 403


async def test_a_feishu_message_is_answered_once_and_a_stale_token_is_renewed_once(
    client: httpx.AsyncClient,
    runtime: Runtime,
    api: tuple[AppBotApi, AppBotApi, str],
    engine: Engine,
    clock: FakeClock,
) -> None:
    feishu = api[1]
    for _ in range(2):  # a redelivery of the same event
        assert (await post_feishu(client, clock, feishu_event("帮助", "ev-1"))).status_code == 200
    await send_all(runtime)
    feishu.expire_token()  # replaced meanwhile: the next send is refused once, then renewed
    assert (
        await post_feishu(client, clock, feishu_event("三会一课是什么", "ev-2", group=False))
    ).status_code == 200
    await send_all(runtime)
    first, second = feishu.sent
    assert (
        first["to"] == "oc_branch1"
        and first["group"]
        and "帮助" in json.dumps(first["content"], ensure_ascii=False)
    )
    assert second["to"] == "ou_wang" and not second["group"]
    assert feishu.tokens_issued == 2
    assert [d.status for d in outbox(engine)] == ["sent", "sent"]


async def test_a_feishu_callback_with_a_bad_signature_or_token_is_refused(
    client: httpx.AsyncClient, engine: Engine, clock: FakeClock
) -> None:
    body = encrypt(feishu_event("帮助", "ev-3"))
    forged = {**feishu_headers(clock, body), "x-lark-signature": "0" * 64}
    assert (await client.post("/feishu/default", content=body, headers=forged)).status_code == 403
    plain = json.dumps(feishu_event("帮助", "ev-4")).encode()  # unencrypted although an Encrypt Key is set
    assert (
        await client.post("/feishu/default", content=plain, headers=feishu_headers(clock, plain))
    ).status_code == 403
    assert (
        await post_feishu(client, clock, feishu_event("帮助", "ev-5", token="not-ours"))
    ).status_code == 403
    assert outbox(engine) == []
