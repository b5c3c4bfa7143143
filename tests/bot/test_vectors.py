"""Tencent's own sample callbacks pass our channels, and a flipped signature character does not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from wechatpy.crypto import BasePrpCrypto

from bot.channels._callback import Envelope
from bot.channels.wechat import WeChatAccount, WeChatChannel
from bot.channels.wecom import WeComAccount, WeComChannel
from bot.core.errors import InboundRejected
from tests.bot.callbacks import VECTORS
from tests.fakes.clock import FakeClock


def at(timestamp: str) -> FakeClock:
    return FakeClock(datetime.fromtimestamp(int(timestamp), UTC))


def oa(vector: dict[str, Any], timestamp: str, *, safe: bool = True) -> WeChatChannel:
    table = {"app_id": vector["app_id"], "token": vector["token"]}
    if safe:
        table["encoding_aes_key"] = vector["encoding_aes_key"]
    return WeChatChannel("default", WeChatAccount.model_validate(table), clock=at(timestamp), tokens=None)


def work(vector: dict[str, Any], timestamp: str) -> WeComChannel:
    keys = ("corp_id", "agent_id", "token", "encoding_aes_key")
    account = WeComAccount.model_validate({k: vector[k] for k in keys} | {"secret": "unused"})
    return WeComChannel("default", account, clock=at(timestamp), tokens=None)


def flipped(value: str) -> str:
    return value[:-1] + ("0" if value[-1] != "0" else "1")


def test_oa_url_verification_vector() -> None:
    vector = VECTORS["oa_doc_2024"]
    query = vector["verify"]
    assert oa(vector, query["timestamp"]).verify_url(query) == "4375120948345356249"
    with pytest.raises(InboundRejected):
        oa(vector, query["timestamp"]).verify_url(query | {"signature": flipped(query["signature"])})


def test_oa_plaintext_json_vector_verifies_and_is_not_a_question() -> None:
    vector = VECTORS["oa_doc_2024"]
    post = vector["plain_post"]
    callback = oa(vector, post["timestamp"], safe=False).parse(post, post["body"].encode())
    assert callback.fmt == "json" and callback.inbound is None  # a debug event: nothing to answer


def test_oa_safe_mode_json_vector_decrypts() -> None:
    vector = VECTORS["oa_doc_2024"]
    post = vector["safe_post"]
    channel = oa(vector, post["timestamp"])
    callback = channel.parse(post, post["body"].encode())
    assert (callback.fmt, callback.account_id, callback.inbound) == ("json", "gh_97417a04a28d", None)
    with pytest.raises(InboundRejected):
        channel.parse(post | {"msg_signature": flipped(post["msg_signature"])}, post["body"].encode())


def test_oa_encrypted_json_reply_matches_the_doc_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    vector = VECTORS["oa_doc_2024"]
    reply = vector["reply"]
    monkeypatch.setattr(BasePrpCrypto, "get_random_string", lambda self: reply["random"])
    envelope = Envelope(vector["token"], vector["encoding_aes_key"], vector["app_id"]).seal_json(
        reply["plain"], reply["nonce"], reply["timestamp"]
    )
    assert envelope == {
        "Encrypt": reply["Encrypt"],
        "MsgSignature": reply["MsgSignature"],
        "TimeStamp": int(reply["timestamp"]),
        "Nonce": reply["nonce"],
    }


def test_oa_classic_sample_decrypts_to_a_text_message() -> None:
    vector = VECTORS["oa_sample_2014"]
    post = vector["post"]
    inbound = oa(vector, post["timestamp"]).parse(post, post["body"].encode()).inbound
    expect = vector["expect"]
    assert inbound is not None
    assert (inbound.sender_id, inbound.text, inbound.message_id) == (
        expect["FromUserName"],
        expect["Content"],
        expect["MsgId"],
    )


@pytest.mark.parametrize("name", ["wecom_sample_v3", "wecom_sample_classic"])
def test_wecom_samples_verify_and_decrypt(name: str) -> None:
    vector = VECTORS[name]
    query, post, expect = vector["verify"], vector["post"], vector["expect"]
    assert work(vector, query["timestamp"]).verify_url(query) == vector["verify_answer"]
    with pytest.raises(InboundRejected):
        work(vector, query["timestamp"]).verify_url(
            query | {"msg_signature": flipped(query["msg_signature"])}
        )
    inbound = work(vector, post["timestamp"]).parse(post, post["body"].encode()).inbound
    assert inbound is not None
    assert (inbound.channel, inbound.sender_id, inbound.text, inbound.message_id) == (
        "wecom",
        expect["FromUserName"],
        expect["Content"],
        expect["MsgId"],
    )
