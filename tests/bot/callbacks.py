"""Build WeChat and WeCom callbacks the way the platforms do, with wechatpy's own crypto."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WorkCrypto

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "tencent.json").read_text("utf-8")
)

OA_TOKEN = "zhibuToken1"
OA_AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OA_APP_ID = "wx1234567890abcdef"
WORK_TOKEN = "workToken9"
WORK_AES = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CORP_ID = "ww0123456789abcdef"
AGENT_ID = 1000002


def wechat_table(*, safe: bool, **extra: Any) -> dict[str, Any]:
    table = {"app_id": OA_APP_ID, "token": OA_TOKEN, "app_secret": "oa-secret"}
    if safe:
        table["encoding_aes_key"] = OA_AES
    return table | extra


def wecom_table(**extra: Any) -> dict[str, Any]:
    return {
        "corp_id": CORP_ID,
        "agent_id": AGENT_ID,
        "secret": "work-secret",
        "token": WORK_TOKEN,
        "encoding_aes_key": WORK_AES,
        **extra,
    }


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def text_xml(
    sender: str, content: str, msg_id: int, created: int, to: str = "gh_zhibu", agent: int | None = None
) -> str:
    fields: dict[str, Any] = {
        "ToUserName": to,
        "FromUserName": sender,
        "CreateTime": created,
        "MsgType": "text",
        "Content": content,
        "MsgId": msg_id,
    }
    if agent is not None:
        fields["AgentID"] = agent
    return xmltodict.unparse({"xml": fields}, full_document=False)


def subscribe_xml(sender: str, created: int) -> str:
    fields = {"ToUserName": "gh_zhibu", "FromUserName": sender, "CreateTime": created, "MsgType": "event"}
    return xmltodict.unparse({"xml": {**fields, "Event": "subscribe"}}, full_document=False)


@dataclass
class Signed:
    params: dict[str, str]
    body: str


def wechat_post(xml: str, now: datetime, *, safe: bool, nonce: str = "123456") -> Signed:
    timestamp = str(int(now.timestamp()))
    params = {"timestamp": timestamp, "nonce": nonce, "signature": sign(OA_TOKEN, timestamp, nonce)}
    if not safe:
        return Signed(params, xml)
    envelope = WeChatCrypto(OA_TOKEN, OA_AES, OA_APP_ID).encrypt_message(xml, nonce, timestamp)
    encrypt = xmltodict.parse(envelope)["xml"]["Encrypt"]
    params |= {"encrypt_type": "aes", "msg_signature": sign(OA_TOKEN, timestamp, nonce, encrypt)}
    return Signed(params, xmltodict.unparse({"xml": {"ToUserName": "gh_zhibu", "Encrypt": encrypt}}))


def wecom_post(xml: str, now: datetime, *, nonce: str = "654321") -> Signed:
    timestamp = str(int(now.timestamp()))
    envelope = WorkCrypto(WORK_TOKEN, WORK_AES, CORP_ID).encrypt_message(xml, nonce, timestamp)
    fields = xmltodict.parse(envelope)["xml"]
    params = {"timestamp": timestamp, "nonce": nonce, "msg_signature": fields["MsgSignature"]}
    return Signed(params, xmltodict.unparse({"xml": {"ToUserName": CORP_ID, "Encrypt": fields["Encrypt"]}}))


def wechat_reply(body: str, *, safe: bool, nonce: str = "123456") -> dict[str, str]:
    """The fields of a passive reply, decrypted and signature-checked as WeChat would."""
    if safe:
        envelope = xmltodict.parse(body)["xml"]
        body = WeChatCrypto(OA_TOKEN, OA_AES, OA_APP_ID).decrypt_message(
            body, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
        )
    return dict(xmltodict.parse(body)["xml"])


def wecom_reply(body: str) -> dict[str, str]:
    envelope = xmltodict.parse(body)["xml"]
    plain = WorkCrypto(WORK_TOKEN, WORK_AES, CORP_ID).decrypt_message(
        body, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    return dict(xmltodict.parse(plain)["xml"])
