"""`zhibu serve`'s background services together: a Telegram message polled, answered, and delivered.

The runtime starts exactly as under uvicorn's lifespan (poller, sender,
housekeeping); the only fake is Telegram's server on loopback. This waits for
the reply with a deadline, since the services run on their own schedule.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import Engine

from bot.runtime import build_runtime
from bot.settings import Settings
from tests.bot.test_telegram import TOKEN, update
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve
from tests.fakes.telegram_api import TelegramApi


def test_a_polled_question_is_answered_by_the_running_services(
    db_url: str, engine: Engine, clock: FakeClock
) -> None:
    api = TelegramApi(token=TOKEN)
    api.updates = [update(1, "/help")]
    with serve(api.app()) as base:
        telegram = {"default": {"bot_token": TOKEN, "api_base_url": base}}
        settings = Settings(database_url=db_url, telegram=telegram, schedules={"enabled": False})
        runtime = build_runtime(settings, clock=clock, engine=engine)

        async def serve_until_answered() -> None:
            await runtime.start()
            try:
                deadline = time.monotonic() + 20
                while not api.sent and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
            finally:
                await runtime.stop()

        asyncio.run(serve_until_answered())
    assert [m["chat_id"] for m in api.sent] == ["42"] and api.sent[0]["text"]
    assert [method for method, _ in api.calls][:2] == ["deleteWebhook", "getUpdates"]
