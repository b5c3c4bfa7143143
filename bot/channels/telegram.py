"""Telegram Bot API: webhook updates in, messages out, long polling where there is no public URL.

Telegram lets a webhook answer carry one Bot API call, but then nobody learns whether it arrived;
so the webhook (bot/push_gateway.py) answers an empty 200 at once and every reply goes through the
outbox and the sender (rate limits, retries, records).

Why the Bot API over httpx and not python-telegram-bot's ``telegram.Bot``: we
use four methods (sendMessage, getUpdates, setWebhook/deleteWebhook) and six
fields of an update, on a documented and stable JSON wire format. PTB 22 would
add an ``initialize()`` round trip (getMe) and a connection pool bound to one
event loop, and its ``RetryAfter`` emits a deprecation warning as it is built
unless PTB_TIMEDELTA is set for the whole process (our suite turns warnings
into errors). Mapping status + ``parameters`` to our three error types is a
dozen lines here (``_error``), the same shape as the WeCom robot channel.

Inbound dedupe: the key is ``update_id:date``. Telegram retries an update with
the same id, but ids restart at a random number after a quiet week, so the id
alone could collide with an old one; the message date cannot.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeGuard

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bot.channels._http import LoopClient
from bot.channels._platform import Platform, Service, Shared
from bot.channels._split import split_message
from bot.core.channel import ChannelLimits, ChannelRates, Rate
from bot.core.clock import Clock
from bot.core.errors import InboundRejected, NotYetStored, PermanentFailure, RetryLater, SendError
from bot.core.messages import Inbound, Reply, Target

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
LIMITS = ChannelLimits(unit="utf16", max_length=4096, markdown=True)
SECRET_HEADER = "x-telegram-bot-api-secret-token"
GROUP_TYPES = frozenset({"group", "supergroup"})


class TelegramAccount(BaseModel):
    """One ``[telegram.NAME]`` table; without ``webhook_secret`` the bot long-polls instead."""

    model_config = ConfigDict(extra="forbid")

    bot_token: SecretStr
    webhook_secret: SecretStr | None = None
    api_base_url: str = Field(default="https://api.telegram.org", pattern=r"^https?://")
    timeout: float = Field(default=10.0, gt=0)
    poll_seconds: int = Field(default=30, ge=0, le=50)

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not re.fullmatch(r"\d+:[A-Za-z0-9_-]{20,}", value.get_secret_value()):
            raise ValueError("not a bot token from @BotFather (digits:letters)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value


class TelegramChannel:
    name = CHANNEL
    limits = LIMITS

    def __init__(
        self,
        account_name: str,
        account: TelegramAccount,
        *,
        clock: Clock,
        on_migrated: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        self.account_name = account_name
        self.account = account
        self.clock = clock
        self.on_migrated = on_migrated  # (old chat id, new chat id): the runtime moves the chat's binding
        self._http = LoopClient(self.account.timeout)

    # -- inbound --

    def admit(self, headers: Mapping[str, str]) -> None:
        """Refuse a webhook call without our secret header (constant-time comparison), before its body."""
        expected = self.account.webhook_secret
        if expected is None:  # a long-polling bot has no webhook
            raise InboundRejected("unknown account", status=404)
        given = headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
            raise InboundRejected("bad or missing secret token", status=403)

    def receive(self, headers: Mapping[str, str], body: bytes) -> Inbound | None:
        try:
            update = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested a few thousand deep
            raise InboundRejected("update is not JSON", status=400) from None
        if not isinstance(update, dict):
            raise InboundRejected("update is not an object", status=400)
        return self.inbound(update)

    def inbound(self, update: Mapping[str, Any]) -> Inbound | None:
        """The text message in an update, or None for anything else (edits, joins, channel posts).

        A malformed update is skipped with a warning rather than raised: raising would answer the
        webhook with an error, or stop long polling at that update, and Telegram would send it forever.
        """
        message = update.get("message")
        if not isinstance(message, Mapping) or not isinstance(message.get("text"), str):
            return None
        if not (_is_id(update.get("update_id")) and _is_id(message.get("date"))):
            _skipped(update, "update_id or date is not a number")
            return None
        chat, sender = message.get("chat"), message.get("from")
        if not isinstance(chat, Mapping) or not isinstance(sender, Mapping):
            _skipped(update, "message without a chat or a sender")
            return None
        if not all(_is_id(x) for x in (chat.get("id"), sender.get("id"))):
            _skipped(update, "chat or sender id is not a number")
            return None
        if not isinstance(chat.get("type"), str):
            _skipped(update, "chat type is not a string")
            return None
        if chat["type"] == "channel":
            return None
        names = (sender.get("first_name"), sender.get("last_name"))
        return Inbound(
            channel=CHANNEL,
            account=self.account_name,
            chat_id=str(chat["id"]),
            sender_id=str(sender["id"]),
            text=_without_bot_name(message["text"]),
            received_at=self.clock.now(),
            is_group=chat.get("type") in GROUP_TYPES,
            message_id=f"{update['update_id']}:{message['date']}",
            sender_name=" ".join(part for part in names if isinstance(part, str) and part),
        )

    # -- outbound --

    async def send(self, target: Target, reply: Reply) -> str:
        """Send as HTML when the reply has markdown, else plain text; the last part's message id."""
        source = reply.markdown or reply.text
        message_id = ""
        for part in split_message(
            source, "utf16", LIMITS.max_length, markup="markdown" if reply.markdown else None
        ):
            params: dict[str, Any] = {"text": part, "link_preview_options": {"is_disabled": True}}
            if reply.markdown:
                params.update(text=markdown_to_html(part), parse_mode="HTML")
            message_id = await self._send_to(target.chat_id, params)
        return message_id

    async def _send_to(self, chat_id: str, params: dict[str, Any]) -> str:
        try:
            result = await self.call("sendMessage", chat_id=chat_id, **params)
        except _Migrated as moved:
            logger.warning("telegram group %s became supergroup %s", chat_id, moved.new_id)
            result = await self.call("sendMessage", chat_id=moved.new_id, **params)
            if self.on_migrated is not None:
                await self.on_migrated(chat_id, str(moved.new_id))
        return str(result.get("message_id", "")) if isinstance(result, Mapping) else ""

    async def get_updates(self, offset: int | None) -> list[dict[str, Any]]:
        timeout = self.account.poll_seconds
        params: dict[str, Any] = {"timeout": timeout, "allowed_updates": ["message"]}
        if offset is not None:
            params["offset"] = offset
        result = await self.call("getUpdates", _timeout=self.account.timeout + timeout, **params)
        return [update for update in result if isinstance(update, dict)]

    async def set_webhook(self, url: str) -> None:
        secret = self.account.webhook_secret
        if secret is None:
            raise PermanentFailure(f"telegram.{self.account_name}.webhook_secret is needed for a webhook")
        await self.call(
            "setWebhook", url=url, secret_token=secret.get_secret_value(), allowed_updates=["message"]
        )

    async def delete_webhook(self) -> None:
        await self.call("deleteWebhook", drop_pending_updates=False)

    async def call(self, method: str, *, _timeout: float | None = None, **params: Any) -> Any:
        """One Bot API call; failures become RetryLater / PermanentFailure, never showing the token."""
        token = self.account.bot_token.get_secret_value()
        url = f"{self.account.api_base_url.rstrip('/')}/bot{token}/{method}"
        try:
            response = await self._http.get().post(url, json=params, timeout=_timeout or self.account.timeout)
            payload = response.json()
        except httpx.HTTPError as exc:
            raise RetryLater(f"telegram {method}: network error {type(exc).__name__}") from None
        except ValueError:
            raise RetryLater(f"telegram {method}: HTTP {response.status_code}, not JSON") from None
        if isinstance(payload, dict) and payload.get("ok"):
            return payload.get("result")
        raise _error(method, response.status_code, payload if isinstance(payload, dict) else {})

    async def aclose(self) -> None:
        await self._http.aclose()


class _Migrated(SendError):
    """400 with parameters.migrate_to_chat_id: the group became a supergroup with a new id."""

    def __init__(self, new_id: int) -> None:
        super().__init__(f"chat migrated to {new_id}")
        self.new_id = new_id


class Conflict(RetryLater):
    """409: a webhook is set, or another process polls the same bot."""


def _error(method: str, status: int, payload: Mapping[str, Any]) -> SendError:
    """docs/platforms.md §4 and §8: 429 and 5xx retry, 403 and other 4xx give up, migration is followed."""
    parameters = payload.get("parameters") or {}
    description = str(payload.get("description", ""))[:200]
    reason = f"telegram {method}: {payload.get('error_code', status)} {description}"
    if parameters.get("migrate_to_chat_id"):
        return _Migrated(int(parameters["migrate_to_chat_id"]))
    if status == 429 or parameters.get("retry_after"):
        return RetryLater(reason, retry_after=float(parameters.get("retry_after", 1)))
    if status == 409:
        return Conflict(reason, retry_after=30.0)
    if status >= 500:
        return RetryLater(reason)
    return PermanentFailure(reason)


def _without_bot_name(text: str) -> str:
    """``/help@zhibu_bot args`` → ``/help args``: in groups Telegram appends the bot's name to commands."""
    return re.sub(r"^(/\w+)@\w+", r"\1", text.strip())


_MARKDOWN_HTML = (
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*\n]+)\*\*"), r"<b>\1</b>"),
    (re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s\"]+)\)"), r'<a href="\2">\1</a>'),
    (re.compile(r"^#{1,6} +(.+)$", re.MULTILINE), r"<b>\1</b>"),
)


def markdown_to_html(markdown: str) -> str:
    """The small markdown our replies use (bold, code, links, headings) as Telegram HTML; the rest escaped."""
    text = html.escape(markdown, quote=False)
    for pattern, replacement in _MARKDOWN_HTML:
        text = pattern.sub(replacement, text)
    return re.sub(r"&lt;font\b.*?&gt;|&lt;/font&gt;", "", text)  # WeCom colour tags mean nothing here


def _is_id(value: object) -> TypeGuard[int]:
    """Bot API ids and dates are integers of at most 52 significant bits (True is an int to Python).

    The bound also keeps a hostile id from overflowing the database's chat id and message key columns.
    """
    return isinstance(value, int) and not isinstance(value, bool) and -(2**52) < value < 2**52


def _skipped(update: Mapping[str, Any], why: str) -> None:
    logger.warning("telegram update %.40r skipped: %s", update.get("update_id"), why)
    return None


class TelegramPoller:
    """getUpdates in a loop for set-ups without a public HTTPS URL (a background service of `zhibu serve`).

    An update is confirmed by asking for the next offset, so one handled just
    before a crash comes again after restart; the router's dedupe drops it.
    """

    def __init__(
        self,
        channel: TelegramChannel,
        handle: Callable[[Inbound], Awaitable[None]],
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.channel = channel
        self.handle = handle
        self.sleep = sleep
        self.offset: int | None = None
        self._task: asyncio.Task[None] | None = None

    async def poll_once(self) -> int:
        """One getUpdates round; the number of updates seen."""
        updates = await self.channel.get_updates(self.offset)
        for update in updates:
            update_id = update.get("update_id")
            if not _is_id(update_id):  # no offset can confirm it; the next valid id moves past it
                _skipped(update, "update_id is not a number")
                continue
            inbound = self.channel.inbound(update)
            if inbound is not None:
                await self.handle(inbound)
            self.offset = max(self.offset or 0, update_id + 1)
        return len(updates)

    async def run(self) -> None:
        failures, webhook_cleared = 0, False
        while True:
            try:
                if not webhook_cleared:  # getUpdates answers 409 while a webhook is set
                    await self.channel.delete_webhook()
                    webhook_cleared = True
                await self.poll_once()
                failures = 0
            except NotYetStored as exc:  # the database is slow or locked: ask for the same update again
                logger.warning("telegram %s: %s; trying again", self.channel.account_name, exc)
                await self.sleep(1.0)
            except RetryLater as exc:
                failures += 1
                wait = exc.retry_after or min(60.0, 2.0**failures)
                logger.warning("telegram %s polling paused %.0f s: %s", self.channel.account_name, wait, exc)
                await self.sleep(wait)
            except Exception:
                logger.exception("telegram %s polling failed", self.channel.account_name)
                await self.sleep(10.0)

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"telegram-poll-{self.channel.account_name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.channel.aclose()


class WebhookRegistration:
    """On start-up, point each webhook-mode bot at ``public_url/telegram/NAME`` (setWebhook is idempotent).

    Telegram only calls HTTPS URLs on ports 443, 80, 88 or 8443; a refusal is
    logged, not fatal, so the rest of ``zhibu serve`` still runs.
    """

    def __init__(self, channels: Mapping[str, TelegramChannel], public_url: str) -> None:
        self.channels = channels
        self.public_url = public_url.rstrip("/")

    async def start(self) -> None:
        for name, channel in self.channels.items():
            if channel.account.webhook_secret is None:
                continue
            if not self.public_url:
                logger.warning(
                    "telegram %s: set public_url (ZHIBU_PUBLIC_URL) so the webhook can be registered", name
                )
                continue
            url = f"{self.public_url}/{CHANNEL}/{name}"
            try:
                await channel.set_webhook(url)
                logger.info("telegram %s: webhook set to %s", name, url)
            except SendError as exc:
                logger.error("telegram %s: setWebhook to %s refused: %s", name, url, exc)

    async def stop(self) -> None:
        return None


def _services(channels: Mapping[str, TelegramChannel], shared: Shared) -> list[Service]:
    """The webhooks' registration, and a poller for each bot without a webhook (no public URL)."""
    push = shared.push
    if not channels or push is None:
        return []

    async def handle(inbound: Inbound) -> None:
        await push(inbound, LIMITS)

    pollers = [TelegramPoller(c, handle) for c in channels.values() if c.account.webhook_secret is None]
    return [WebhookRegistration(channels, shared.public_url), *pollers]


def _build(name: str, account: TelegramAccount, shared: Shared) -> TelegramChannel:
    move = shared.move_chat

    async def moved(old_id: str, new_id: str) -> None:
        if move is not None:
            await move(CHANNEL, name, old_id, new_id)

    return TelegramChannel(name, account, clock=shared.clock, on_migrated=moved)


SAMPLE = """\
# [telegram.default]          # /telegram/default
# bot_token = "..."
# webhook_secret = "..."      # leave out to long-poll (no public URL needed); with it, set public_url
# api_base_url = "https://api.telegram.org"
"""

PLATFORM = Platform(
    CHANNEL,
    "Telegram",
    TelegramAccount,
    _build,
    # 429 past ~1/s per chat, 20/min per group and ~30/s per bot.
    ChannelRates(account=Rate(25, 1.0, burst=5), chat=Rate(1, 1.0, burst=3), group=Rate(18, 60.0, burst=2)),
    limits=LIMITS,
    callbacks="push",
    sample=SAMPLE,
    services=_services,
)
