"""A new platform is one module plus one registry line: a platform defined only here gets it all.

The "pager" below is a whole platform in this module (account table, channel, entry). Registered
with one line, it is configured from keyword settings and ZHIBU_PAGER__… variables, takes signed
callbacks at /pager/NAME through the real app and answers through the outbox, the sender and its own
rate limits to a loopback fake of its API; nothing in bot/ names it. The last test checks that
settings, runtime, app, sender and rate limiter name no platform either.
"""

from __future__ import annotations

import ast
import hmac
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, SecretStr
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.app import create_app
from bot.channels import registry
from bot.channels._platform import Platform, Shared
from bot.core.channel import ChannelLimits, ChannelRates, Rate
from bot.core.errors import InboundRejected, Misconfigured
from bot.core.messages import Inbound, Reply, Target
from bot.runtime import Runtime, build_runtime
from bot.sender import Sender
from bot.settings import Settings
from handlers import texts
from storage.models import Delivery, DeliveryStatus
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve

pytestmark = pytest.mark.anyio

TOKEN = "pager-secret-01"
ROOT = Path(__file__).resolve().parents[2]


# -- the test-only platform: everything a platform module holds --


class PagerAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: SecretStr
    api_base_url: str


class PagerChannel:
    name = "pager"
    limits = ChannelLimits(unit="chars", max_length=500)

    def __init__(self, account_name: str, account: PagerAccount, shared: Shared) -> None:
        self.account_name, self.account, self.clock = account_name, account, shared.clock
        self._http = httpx.AsyncClient(base_url=account.api_base_url)

    def admit(self, headers: Mapping[str, str]) -> None:
        given = headers.get("x-pager-token", "").encode()
        if not hmac.compare_digest(given, self.account.token.get_secret_value().encode()):
            raise InboundRejected("bad token")

    def receive(self, headers: Mapping[str, str], body: bytes) -> Inbound:
        page = json.loads(body)
        return Inbound(
            channel=self.name,
            account=self.account_name,
            chat_id=page["from"],
            sender_id=page["from"],
            text=page["text"],
            received_at=self.clock.now(),
            message_id=page["id"],
        )

    async def send(self, target: Target, reply: Reply) -> str:
        response = await self._http.post("/send", json={"to": target.chat_id, "text": reply.text})
        return str(response.json()["id"])

    async def aclose(self) -> None:
        await self._http.aclose()


PAGER = Platform(
    "pager",
    "寻呼机",
    PagerAccount,
    PagerChannel,
    ChannelRates(account=Rate(1, 60.0)),
    limits=PagerChannel.limits,
    callbacks="push",
)


# -- its fake API and the runtime --


@pytest.fixture
def pages() -> Iterator[tuple[list[dict[str, Any]], str]]:
    """What reached the fake pager API, and its base URL."""
    received: list[dict[str, Any]] = []

    async def send(request: Request) -> JSONResponse:
        received.append(await request.json())
        return JSONResponse({"id": len(received)})

    with serve(Starlette(routes=[Route("/send", send, methods=["POST"])])) as base:
        yield received, base


@pytest.fixture
def runtime(
    pages: tuple[list[dict[str, Any]], str],
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    engine: Engine,
    clock: FakeClock,
) -> Iterator[Runtime]:
    monkeypatch.setitem(registry.PLATFORMS, "pager", PAGER)  # the one line a new platform adds
    monkeypatch.setenv("ZHIBU_PAGER__DEFAULT__TOKEN", TOKEN)  # the secret from the environment
    settings = Settings(database_url=db_url, pager={"default": {"api_base_url": pages[1]}})
    built = build_runtime(settings, clock=clock, engine=engine)
    yield built
    built.router.close()


def page(message_id: str, sender: str, text: str) -> bytes:
    return json.dumps({"id": message_id, "from": sender, "text": text}).encode()


async def test_a_platform_defined_elsewhere_takes_callbacks_and_delivers_through_the_outbox(
    runtime: Runtime, pages: tuple[list[dict[str, Any]], str], engine: Engine
) -> None:
    signed = {"x-pager-token": TOKEN}
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://zhibu.test") as http:
        for _ in range(2):  # a redelivery is answered once
            assert (
                await http.post("/pager/default", content=page("m1", "u1", "帮助"), headers=signed)
            ).is_success
        assert (
            await http.post("/pager/default", content=page("m2", "u2", "帮助"), headers=signed)
        ).is_success
        forged = await http.post(
            "/pager/default", content=page("m3", "u3", "帮助"), headers={"x-pager-token": "x"}
        )
        unknown = await http.post("/pager/other", content=page("m4", "u4", "帮助"), headers=signed)
    assert (forged.status_code, unknown.status_code) == (403, 404)

    [sender] = [s for s in runtime.services if isinstance(s, Sender)]
    await sender.run_once()
    received, _ = pages
    assert received == [{"to": "u1", "text": texts.HELP}]  # the account's 1 a minute holds the second back
    with Session(engine) as session:
        rows = session.exec(select(Delivery).order_by(Delivery.id)).all()
    assert [(r.channel, r.account, r.chat_id, r.status) for r in rows] == [
        ("pager", "default", "u1", DeliveryStatus.SENT),
        ("pager", "default", "u2", DeliveryStatus.PENDING),
    ]
    await runtime.stop()


def test_a_bad_table_of_a_registered_platform_stops_start_up_naming_its_key(
    monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine
) -> None:
    monkeypatch.setitem(registry.PLATFORMS, "pager", PAGER)
    settings = Settings(database_url=db_url, pager={"default": {"api_base_url": "http://127.0.0.1:9"}})
    with pytest.raises(Misconfigured) as bad:
        build_runtime(settings, engine=engine)
    assert bad.value.key == "pager.default.token"


def names_in_code(path: Path) -> set[str]:
    """The identifiers and the string values of a module, without its comments and docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.add(node.name)
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module or "")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.add(node.value)
    return {name.lower() for name in found}


@pytest.mark.parametrize(
    "module", ["bot/settings.py", "bot/runtime.py", "bot/app.py", "bot/sender.py", "bot/ratelimit.py"]
)
def test_the_parts_that_serve_every_platform_name_none(module: str) -> None:
    code = names_in_code(ROOT / module)
    named = {section for section in registry.PLATFORMS for name in code if section in name}
    assert not named, f"{module} names {sorted(named)}: read bot/channels/registry.py instead"


def test_every_listed_module_holds_the_platform_of_its_section() -> None:
    for section, platform in registry.PLATFORMS.items():
        assert platform.section == section and platform.label


def test_reading_the_settings_loads_no_platform_module(tmp_path: Path) -> None:
    """`zhibu ask` reads the settings; it must not pay for every platform's SDK and HTTP client."""
    probe = (
        "import sys; from bot.settings import load_settings; load_settings(); "
        "print(sorted(m for m in sys.modules if m.startswith(('bot.channels.', 'wechatpy', 'httpx'))))"
    )
    env = {**os.environ, "ZHIBU_CONFIG": str(tmp_path / "none.toml"), "ZHIBU_WECHAT__MAIN__TOKEN": "t"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['bot.channels._platform', 'bot.channels.registry']"
