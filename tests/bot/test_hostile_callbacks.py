"""Callback parsers are total: any body, correctly signed or not, gives a Callback or InboundRejected."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from bot.channels._callback import Callback
from bot.channels.wechat import WeChatAccount, WeChatChannel
from bot.channels.wecom import WeComAccount, WeComChannel
from bot.core.errors import InboundRejected
from tests.bot.callbacks import OA_TOKEN, WORK_TOKEN, sign, wechat_table, wecom_table
from tests.fakes.clock import FakeClock

NOW = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
TS, NONCE = str(int(NOW.timestamp())), "777"
CLOCK = FakeClock(NOW)
PLAIN = WeChatChannel("p", WeChatAccount.model_validate(wechat_table(safe=False)), clock=CLOCK, tokens=None)
SAFE = WeChatChannel("s", WeChatAccount.model_validate(wechat_table(safe=True)), clock=CLOCK, tokens=None)
WORK = WeComChannel("w", WeComAccount.model_validate(wecom_table()), clock=CLOCK, tokens=None)

XMLISH = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=300).map(str.encode),
    st.builds(
        lambda tag, text: f"<xml><{tag}>{text}</{tag}><MsgType>text</MsgType></xml>".encode(),
        st.sampled_from(["FromUserName", "Content", "MsgId", "Encrypt", "xml"]),
        st.text(max_size=50),
    ),
)


def outcome(parse: object) -> str:
    try:
        result = parse()  # type: ignore[operator]
    except InboundRejected as exc:
        assert exc.status in (400, 403)
        return "rejected"
    assert isinstance(result, Callback)
    return "accepted"


@given(XMLISH)
@example(b"<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><Content>\xe5\x85</Content></xml>")
@example(b'{"FromUserName": ["a"], "MsgType": "text"}')
@example(b"[1, 2]")
def test_a_signed_plaintext_body_is_parsed_or_rejected(body: bytes) -> None:
    query = {"timestamp": TS, "nonce": NONCE, "signature": sign(OA_TOKEN, TS, NONCE)}
    outcome(lambda: PLAIN.parse(query, body))


@given(st.text(max_size=200))
@example("AAAA")
@example("")
def test_a_signed_but_garbled_ciphertext_is_rejected(encrypt: str) -> None:
    body = f"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
    for channel, token, extra in ((SAFE, OA_TOKEN, {"encrypt_type": "aes"}), (WORK, WORK_TOKEN, {})):
        query = {"timestamp": TS, "nonce": NONCE, "msg_signature": sign(token, TS, NONCE, encrypt), **extra}
        assert outcome(lambda: channel.parse(query, body)) == "rejected"  # noqa: B023


@given(
    st.dictionaries(
        st.sampled_from(["timestamp", "nonce", "signature", "msg_signature", "echostr"]), st.text()
    )
)
def test_any_query_string_is_verified_or_rejected(query: dict[str, str]) -> None:
    for channel in (PLAIN, SAFE, WORK):
        try:
            channel.verify_url(query)
        except InboundRejected:
            pass
