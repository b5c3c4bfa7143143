"""Hostile inputs for the webhook fuzz tests, and the bounded settings they run with."""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Bounded example counts; CI replays fixed examples so a red run is reproducible, local runs explore.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
)

MESSAGE = (
    "<ToUserName>gh_zhibu</ToUserName><FromUserName>o-attacker</FromUserName>"
    "<CreateTime>1</CreateTime><MsgType>text</MsgType><AgentID>1000002</AgentID>"
)


def _billion_laughs(levels: int) -> str:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)
    )
    return f'<?xml version="1.0"?><!DOCTYPE xml [{entities}]><xml>{MESSAGE}<Content>&lol{levels};</Content><MsgId>1</MsgId></xml>'  # noqa: E501


def _quadratic_blowup(size: int, refs: int) -> str:
    return (
        f'<!DOCTYPE xml [<!ENTITY a "{"A" * size}">]>'
        f"<xml>{MESSAGE}<Content>{'&a;' * refs}</Content><MsgId>2</MsgId></xml>"
    )


EXTERNAL = [
    f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>{MESSAGE}<Content>&e;</Content><MsgId>3</MsgId></xml>',
    f'<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd"><xml>{MESSAGE}<Content>x</Content><MsgId>4</MsgId></xml>',
    f'<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><xml>{MESSAGE}<Content>x</Content><MsgId>5</MsgId></xml>',  # noqa: E501
    f'<?xml-stylesheet href="http://127.0.0.1:9/x.xsl"?><!DOCTYPE xml><xml>{MESSAGE}<Content>x</Content><MsgId>6</MsgId></xml>',  # noqa: E501
]
XINCLUDE = f'<xml xmlns:xi="http://www.w3.org/2001/XInclude">{MESSAGE}<Content><xi:include href="file:///etc/passwd"/></Content><MsgId>8</MsgId></xml>'


def _deep_xml(depth: int) -> str:
    return f"<xml>{'<a>' * depth}x{'</a>' * depth}</xml>"


def _deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


entity_attacks = st.one_of(
    st.integers(min_value=2, max_value=9).map(_billion_laughs),
    st.builds(_quadratic_blowup, st.integers(1, 20_000), st.integers(1, 2_000)),
    st.sampled_from(EXTERNAL),
)

hostile_xml = st.one_of(
    entity_attacks,
    st.integers(min_value=1, max_value=6_000).map(_deep_xml),
    st.text(max_size=200).map(lambda t: f"<xml>{t}</xml>"),  # no sender: nothing to answer
    st.sampled_from(
        ["", "<xml/>", "<xml>", "</xml>", "<notxml><a>1</a></notxml>", "<xml><xml><xml/></xml></xml>"]
    ),
)

json_junk = st.one_of(
    st.integers(min_value=1, max_value=100_000).map(_deep_json),
    st.sampled_from(
        [
            '{"a": NaN}',
            '{"a": 1e999999}',
            "{" * 5000,
            '{"FromUserName": {"$ne": null}}',
            "[]",
            "null",
            '"x"',
            '{"MsgType": "text", "FromUserName": "o", "FromUserName": ["dup"]}',
            '{"a": "\\ud800"}',
        ]
    ),
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=20,
    ).map(json.dumps),
)

bad_encodings = st.one_of(
    st.binary(max_size=2_000),
    hostile_xml.map(lambda x: x.encode("utf-16")),
    st.just(
        f'<?xml version="1.0" encoding="GBK"?><xml>{MESSAGE}<Content>党员</Content><MsgId>7</MsgId></xml>'.encode(  # noqa: E501
            "gbk"
        )
    ),
    st.just(f"<xml>{MESSAGE}<Content>".encode() + b"\xff\xfe\xc0\x80\xed\xa0\x80" + b"</Content></xml>"),
    st.just(b"\x00" * 1000),
)

hostile_bodies = st.one_of(hostile_xml.map(str.encode), json_junk.map(str.encode), bad_encodings)

query_keys = st.sampled_from(
    ["timestamp", "nonce", "signature", "msg_signature", "echostr", "encrypt_type", "openid"]
)
query_values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["aes", "0", "-1", "99999999999999999999", "1e10", " ", "9" * 5000, "²" * 3]),
)
junk_queries = st.dictionaries(query_keys, query_values, max_size=6)

# A well-formed Telegram text update with one field replaced by a value of the wrong type, or removed.
TELEGRAM_UPDATE = {
    "update_id": 500,
    "message": {
        "message_id": 5000,
        "date": 1795000500,
        "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "小", "last_name": "王"},
        "text": "/help",
    },
}
UPDATE_PATHS = [
    ("update_id",),
    ("message",),
    ("message", "date"),
    ("message", "text"),
    ("message", "chat"),
    ("message", "chat", "id"),
    ("message", "chat", "type"),
    ("message", "from"),
    ("message", "from", "id"),
    ("message", "from", "first_name"),
    ("message", "from", "last_name"),
]
REMOVED = object()
wrong_values = st.one_of(
    st.just(REMOVED),
    st.none(),
    st.booleans(),
    st.integers(),
    st.just(10**400),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def mangle(path: tuple[str, ...], value: object) -> dict[str, object]:
    update = json.loads(json.dumps(TELEGRAM_UPDATE))
    parent = update
    for key in path[:-1]:
        parent = parent[key]
    if value is REMOVED:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return update


mangled_updates = st.builds(mangle, st.sampled_from(UPDATE_PATHS), wrong_values)
