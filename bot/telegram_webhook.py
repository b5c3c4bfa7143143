"""Telegram updates (webhook or long polling) → router → outbox.

Telegram lets a webhook answer carry one Bot API call, but then nobody learns
whether it arrived; so the webhook answers an empty 200 at once and every
reply goes through the outbox and the sender (rate limits, retries, records).
The router's dedupe sees ``update_id:date``, so Telegram's redelivery of an
update is answered once; the router queues every part of the reply in order.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.channels.telegram import TelegramChannel
from bot.core.errors import InboundRejected, NotYetStored, SendError
from bot.core.messages import Inbound
from bot.request_body import BODY_SECONDS, BodyRefused, read_body
from bot.router import Router

logger = logging.getLogger(__name__)


class TelegramGateway:
    def __init__(
        self,
        channels: Mapping[str, TelegramChannel],
        router: Router,
        engine: Engine,
        *,
        body_seconds: float = BODY_SECONDS,
    ) -> None:
        self.channels = channels
        self.router = router
        self.engine = engine
        self.body_seconds = body_seconds  # how long an update's body may take to arrive

    async def answer(self, inbound: Inbound) -> None:
        """Handle one message; its replies go to the outbox."""
        await self.router.push(inbound, self.channels[inbound.account].limits)

    async def webhook(self, request: Request) -> Response:
        channel = self.channels.get(request.path_params["account"])
        if channel is None or channel.account.webhook_secret is None:
            metrics.CALLBACKS.labels("telegram", "rejected").inc()
            return PlainTextResponse("unknown account", status_code=404)
        try:
            channel.check_secret(request.headers)  # before the body: without the secret it is never read
            inbound = channel.parse(await read_body(request, seconds=self.body_seconds))
        except BodyRefused as exc:
            metrics.CALLBACKS.labels("telegram", "rejected").inc()
            logger.warning("telegram update refused path=%s: %s", request.url.path, exc.reason)
            return exc.response()
        except InboundRejected as exc:
            metrics.CALLBACKS.labels("telegram", "rejected").inc()
            logger.warning("telegram update refused path=%s: %s", request.url.path, exc.reason)
            return PlainTextResponse("", status_code=exc.status)
        if inbound is not None:
            try:
                await self.answer(inbound)
            except NotYetStored:  # Telegram sends the update again after an error status
                metrics.CALLBACKS.labels("telegram", "error").inc()
                return PlainTextResponse("", status_code=503)
        return Response(status_code=200)

    def route(self) -> Route:
        return Route("/telegram/{account}", self.webhook, methods=["POST"])


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
            url = f"{self.public_url}/telegram/{name}"
            try:
                await channel.set_webhook(url)
                logger.info("telegram %s: webhook set to %s", name, url)
            except SendError as exc:
                logger.error("telegram %s: setWebhook to %s refused: %s", name, url, exc)

    async def stop(self) -> None:
        return None
