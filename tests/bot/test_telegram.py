"""The Telegram channel against a fake Bot API on loopback: updates in, messages out, errors sorted."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from bot.channels._callback import load_accounts
from bot.channels.robot import RobotAccount
from bot.channels.telegram import TelegramAccount, TelegramChannel, TelegramPoller
from bot.core.errors import InboundRejected, Misconfigured, PermanentFailure, RetryLater
from bot.core.messages import Inbound, Reply, Target
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve
from tests.fakes.telegram_api import TelegramApi, flood

TOKEN = "123456:AAE-test-token-0123456789abcdef"
SECRET = "s3cret-header_value"


def update(update_id: int, text: str, *, chat: int = 42, chat_type: str = "private") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id * 10,
            "date": 1795000000 + update_id,
            "chat": {"id": chat, "type": chat_type},
            "from": {"id": 42, "is_bot": False, "first_name": "小", "last_name": "王"},
            "text": text,
        },
    }


@pytest.fixture
def api() -> TelegramApi:
    return TelegramApi(token=TOKEN)


@pytest.fixture
def channel(api: TelegramApi, clock: FakeClock) -> Iterator[TelegramChannel]:
    with serve(api.app()) as base_url:
        account = TelegramAccount(bot_token=TOKEN, webhook_secret=SECRET, api_base_url=base_url)
        yield TelegramChannel("default", account, clock=clock)


def run(channel: TelegramChannel, work: Callable[[], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        try:
            return await work()
        finally:
            await channel.aclose()

    return asyncio.run(main())


def test_the_secret_header_is_required(channel: TelegramChannel) -> None:
    channel.admit({"x-telegram-bot-api-secret-token": SECRET})
    for headers in ({}, {"x-telegram-bot-api-secret-token": SECRET + "x"}):
        with pytest.raises(InboundRejected) as refused:
            channel.admit(headers)
        assert refused.value.status == 403


def test_private_and_group_messages_become_inbound(channel: TelegramChannel) -> None:
    private = channel.receive({}, json.dumps(update(7, "/start")).encode())
    assert private is not None and private.text == "/start" and not private.is_group
    assert (private.chat_id, private.sender_id, private.sender_name) == ("42", "42", "小 王")
    group = channel.inbound(update(8, "/bind@zhibu_bot 123456", chat=-1001234, chat_type="supergroup"))
    assert (
        group is not None and group.is_group and group.chat_id == "-1001234" and group.text == "/bind 123456"
    )
    assert group.message_id == "8:1795000008"  # the date guards against update ids restarting
    assert channel.inbound({"update_id": 9, "edited_message": update(9, "x")["message"]}) is None
    with pytest.raises(InboundRejected):
        channel.receive({}, b"not json")


def test_send_plain_and_markdown_as_html(channel: TelegramChannel, api: TelegramApi) -> None:
    target = Target("telegram", "default", "42")
    run(channel, lambda: channel.send(target, Reply("你好 <b>")))
    run(channel, lambda: channel.send(target, Reply("x", markdown="**支部** [章程](https://e.org/a) <x>")))
    assert api.sent[0]["text"] == "你好 <b>" and "parse_mode" not in api.sent[0]
    assert api.sent[1]["parse_mode"] == "HTML"
    assert api.sent[1]["text"] == '<b>支部</b> <a href="https://e.org/a">章程</a> &lt;x&gt;'


def test_errors_are_sorted_into_retry_and_give_up(channel: TelegramChannel, api: TelegramApi) -> None:
    target = Target("telegram", "default", "42")
    api.script = [flood(17)]
    with pytest.raises(RetryLater) as flooded:
        run(channel, lambda: channel.send(target, Reply("x")))
    assert flooded.value.retry_after == 17
    api.script = [(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})]
    with pytest.raises(RetryLater):
        run(channel, lambda: channel.send(target, Reply("x")))
    api.blocked.add("42")
    with pytest.raises(PermanentFailure) as blocked:
        run(channel, lambda: channel.send(target, Reply("x")))
    assert "blocked" in str(blocked.value) and TOKEN not in str(blocked.value)


def test_a_migrated_group_gets_the_message_at_its_new_id(channel: TelegramChannel, api: TelegramApi) -> None:
    api.migrated["-555"] = -1009999
    message_id = run(
        channel, lambda: channel.send(Target("telegram", "default", "-555", True), Reply("会议通知"))
    )
    assert api.texts("-1009999") == ["会议通知"] and message_id == "1"


def test_long_text_is_split_in_utf16_units(channel: TelegramChannel, api: TelegramApi) -> None:
    text = "\n".join(["党员😀" * 300] * 6)
    run(channel, lambda: channel.send(Target("telegram", "default", "42"), Reply(text)))
    assert "".join(api.texts()) == text and len(api.sent) > 1
    assert all(len(part.encode("utf-16-le")) // 2 <= 4096 for part in api.texts())


def test_polling_hands_each_update_over_once(channel: TelegramChannel, api: TelegramApi) -> None:
    seen: list[Inbound] = []

    async def handle(inbound: Inbound) -> None:
        seen.append(inbound)

    poller = TelegramPoller(channel, handle)
    api.updates = [update(1, "/help"), update(2, "三会一课是什么"), {"update_id": 3, "channel_post": {}}]

    async def two_rounds() -> list[int]:
        first = await poller.poll_once()
        api.updates.append(update(4, "谢谢"))
        return [first, await poller.poll_once()]

    assert run(channel, two_rounds) == [3, 1]
    assert [m.text for m in seen] == ["/help", "三会一课是什么", "谢谢"]
    assert poller.offset == 5


def test_polling_while_a_webhook_is_set_is_a_conflict_to_wait_out(
    channel: TelegramChannel, api: TelegramApi
) -> None:
    api.webhook = {"url": "https://example.org/telegram/default"}
    poller = TelegramPoller(channel, lambda inbound: asyncio.sleep(0))
    with pytest.raises(RetryLater) as conflict:
        run(channel, poller.poll_once)
    assert conflict.value.retry_after == 30.0


def test_bad_account_tables_name_the_key() -> None:
    with pytest.raises(Misconfigured) as bad_token:
        load_accounts("telegram", {"default": {"bot_token": "nope"}}, TelegramAccount)
    assert bad_token.value.key == "telegram.default.bot_token"
    with pytest.raises(Misconfigured) as bad_secret:
        load_accounts(
            "telegram", {"default": {"bot_token": TOKEN, "webhook_secret": "has space"}}, TelegramAccount
        )
    assert bad_secret.value.key == "telegram.default.webhook_secret"
    with pytest.raises(Misconfigured) as no_key:
        load_accounts("robot", {"branch1": {}}, RobotAccount)
    assert no_key.value.key == "robot.branch1.webhook_key"
