from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from bot.app import create_app
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from tests.bot.callbacks import wechat_table, wecom_table
from tests.fakes.clock import FakeClock

MakeRuntime = Callable[..., Runtime]


@pytest.fixture
def make_runtime(db_url: str, engine: Engine, clock: FakeClock) -> Iterator[MakeRuntime]:
    """Runtimes over the test database; several of them behave like several processes."""
    built: list[Runtime] = []

    def make(**settings: Any) -> Runtime:
        tables = {
            "wechat": {"plain": wechat_table(safe=False), "safe": wechat_table(safe=True)},
            "wecom": {"default": wecom_table()},
        }
        runtime = build_runtime(
            Settings(database_url=db_url, **(tables | settings)), clock=clock, engine=engine
        )
        built.append(runtime)
        return runtime

    yield make
    for runtime in built:
        runtime.router.close()


@pytest.fixture
def runtime(make_runtime: MakeRuntime) -> Runtime:
    return make_runtime()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://zhibu.test") as http:
        yield http


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
