"""What the WeChat-family callbacks share: freshness and signature checks, safe body parsing, account tables.

Everything here turns bad input into ``InboundRejected`` and bad settings into
``Misconfigured``; no other exception leaves a callback parser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from string import hexdigits
from typing import Annotated, Any, Literal, TypeVar
from xml.etree.ElementTree import fromstring

from pydantic import AfterValidator, BaseModel, SecretStr, ValidationError
from wechatpy.crypto import PrpCrypto

from bot.core.errors import InboundRejected, Misconfigured
from bot.core.messages import SUBSCRIBE_COMMAND, Inbound

Format = Literal["xml", "json"]
AccountT = TypeVar("AccountT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Callback:
    """One verified callback: the message for the router (None: nothing to answer) and how to reply."""

    inbound: Inbound | None
    fmt: Format
    account_id: str  # ToUserName: the 公众号's gh_ id or the CorpID
    nonce: str
    encrypted: bool  # the signature covers the body too; otherwise only token, timestamp and nonce
    timestamp: str = ""


def load_accounts(section: str, tables: Mapping[str, Any], model: type[AccountT]) -> dict[str, AccountT]:
    """Validate each ``[section.NAME]`` table; the error names the key, e.g. ``wechat.default.token``."""
    accounts: dict[str, AccountT] = {}
    for name, table in tables.items():
        if not isinstance(table, Mapping):
            raise Misconfigured(f"{section}.{name}", "must be a table of settings")
        try:
            accounts[name] = model.model_validate(dict(table))
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(part) for part in (section, name, *first["loc"]))
            raise Misconfigured(key, first["msg"].removeprefix("Value error, ")) from None
    return accounts


MAX_PARAM = 128  # signatures are 40 hex digits, nonces and timestamps shorter still


def param(query: Mapping[str, str], name: str, *, limit: int | None = MAX_PARAM) -> str:
    """A required query parameter; ``limit=None`` for one of no fixed size (WeCom's encrypted echostr)."""
    value = query.get(name)
    if not value:
        raise InboundRejected(f"missing query parameter {name}")
    if limit is not None and len(value) > limit:
        raise InboundRejected(f"query parameter {name} too long", status=400)
    return value


def check_fresh(timestamp: str, now: datetime, window: int) -> None:
    """Refuse signed requests outside ``window`` seconds of now: a captured one cannot be replayed later."""
    # "²".isdigit() is True and int("²") fails; int() of more than 4,300 digits raises too
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise InboundRejected("timestamp is not a number of seconds", status=400)
    if abs(now.timestamp() - int(timestamp)) > window:
        raise InboundRejected("timestamp outside the allowed window")


def signature_param(query: Mapping[str, str], name: str) -> str:
    """A SHA1 signature from the query string: 40 hex digits, else refused like a wrong one."""
    value = param(query, name)
    if not (len(value) == 40 and value.isascii() and not value.strip(hexdigits)):
        raise InboundRejected("bad signature")
    return value


def sha1_signature(*parts: str) -> str:
    """Tencent's callback signature: SHA1 over the sorted parts, concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(expected: str, *parts: str) -> None:
    if not hmac.compare_digest(sha1_signature(*parts).encode(), expected.lower().encode("ascii", "replace")):
        raise InboundRejected("bad signature")


@contextmanager
def guarded(what: str) -> Iterator[None]:
    """Turn any failure of a third-party parser or cipher on hostile input into a rejection."""
    try:
        yield
    except InboundRejected:
        raise
    except Exception as exc:  # the parsers raise a zoo of types on garbage; all mean "refuse"
        raise InboundRejected(f"{what}: {type(exc).__name__}", status=400) from exc


def parse_fields(body: bytes | str) -> tuple[dict[str, str], Format]:
    """The flat fields of an XML ``<xml>…</xml>`` or JSON object body.

    A document type declaration is refused outright: without one no entity can be
    declared, so neither entity expansion ("billion laughs") nor external entities exist.
    """
    with guarded("malformed body"):
        text = (body.decode("utf-8") if isinstance(body, bytes) else body).lstrip()
        if text.startswith("{"):
            data = json.loads(text)
            if not isinstance(data, dict):
                raise InboundRejected("body is not a message object", status=400)
            return {
                str(k): str(v) for k, v in data.items() if not isinstance(v, dict | list) and v is not None
            }, "json"
        if "<!DOCTYPE" in text or "<!ENTITY" in text:
            raise InboundRejected("document type declarations are not accepted", status=400)
        root = fromstring(text)
    if root.tag != "xml":
        raise InboundRejected("body is not a message object", status=400)
    return {child.tag: child.text or "" for child in root if len(child) == 0}, "xml"


def event_key(fields: Mapping[str, str]) -> str:
    """The dedupe key: MsgId for messages, sender + CreateTime + event for events (their MsgId is absent)."""
    msg_id = fields.get("MsgId", "")
    if msg_id and msg_id != "0":
        return msg_id
    return (
        f"{fields.get('FromUserName', '')}:{fields.get('CreateTime', '')}:{fields.get('Event', '').lower()}"
    )


# The database's sizes for a chat id and a message key (storage/models.py); an openid has 28 characters,
# a WeCom user id at most 64, a MsgId 20 digits, so only a forged or broken body comes near them.
MAX_SENDER = 128
MAX_KEY = 200


def to_inbound(channel: str, account: str, fields: Mapping[str, str], now: datetime) -> Inbound | None:
    """A text message or a follow event as the router sees it; None for what the bot does not answer."""
    sender = fields.get("FromUserName", "")
    if not sender:
        raise InboundRejected("message without a sender", status=400)
    if len(sender) > MAX_SENDER:
        raise InboundRejected("sender id too long", status=400)
    msg_type = fields.get("MsgType", "").lower()
    if msg_type == "text":
        text = fields.get("Content", "")
    elif msg_type == "event" and fields.get("Event", "").lower() == "subscribe":
        text = SUBSCRIBE_COMMAND
    else:
        return None
    key = event_key(fields)
    if len(key) > MAX_KEY:
        raise InboundRejected("message id too long", status=400)
    return Inbound(
        channel=channel,
        account=account,
        chat_id=sender,
        sender_id=sender,
        text=text,
        received_at=now,
        message_id=key,
    )


def valid_token(value: str) -> str:
    if not (3 <= len(value) <= 32 and value.isascii() and value.isalnum()):
        raise ValueError("must be 3 to 32 letters or digits")
    return value


def valid_aes_key(value: str) -> str:
    if len(value) != 43:
        raise ValueError("must be 43 characters")
    if not (value.isascii() and value.isalnum()):
        raise ValueError("must contain only letters and digits")
    return value


def valid_base_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value if value.endswith("/") else value + "/"


def _checked_secret(check: Callable[[str], str]) -> AfterValidator:
    return AfterValidator(lambda secret: SecretStr(check(secret.get_secret_value())))


# Field types shared by the 公众号 and WeCom account tables, so each check is written once.
CallbackToken = Annotated[SecretStr, _checked_secret(valid_token)]
AesKey = Annotated[SecretStr, _checked_secret(valid_aes_key)]
ApiBaseUrl = Annotated[str, AfterValidator(valid_base_url)]


class Envelope:
    """One account's AES envelope (wechatpy's PrpCrypto, one cipher kept): open callbacks, seal replies.

    Signatures are checked by the caller (``check_signature``, constant-time) before ``open``.
    """

    _XML = (
        "<xml>\n<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n<MsgSignature><![CDATA[{signature}]]></MsgSignature>\n"
        "<TimeStamp>{timestamp}</TimeStamp>\n<Nonce><![CDATA[{nonce}]]></Nonce>\n</xml>"
    )

    def __init__(self, token: str, aes_key: str, receive_id: str) -> None:
        self._token = token
        self._id = receive_id
        self._prp = PrpCrypto(base64.b64decode(aes_key + "="))

    def open(self, encrypt: str) -> str:
        with guarded("undecryptable body"):
            return str(self._prp.decrypt(encrypt, self._id))

    def seal(self, plain: str, nonce: str, timestamp: str) -> tuple[str, str]:
        """The Encrypt value and its MsgSignature."""
        encrypt = self._prp.encrypt(plain, self._id).decode()
        return encrypt, sha1_signature(self._token, timestamp, nonce, encrypt)

    def seal_xml(self, plain: str, nonce: str, timestamp: str) -> str:
        encrypt, signature = self.seal(plain, nonce, timestamp)
        return self._XML.format(encrypt=encrypt, signature=signature, timestamp=timestamp, nonce=nonce)

    def seal_json(self, plain: str, nonce: str, timestamp: str) -> dict[str, Any]:
        encrypt, signature = self.seal(plain, nonce, timestamp)
        return {"Encrypt": encrypt, "MsgSignature": signature, "TimeStamp": int(timestamp), "Nonce": nonce}
