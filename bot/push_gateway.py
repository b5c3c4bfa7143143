"""Callbacks of platforms whose answer goes out as a new message, not in the HTTP response.

The webhook checks the request, answers 200 once the message is stored and hands it to the router's
``push``: every reply then goes through the outbox and the sender (rate limits, retries, records).
The router's dedupe sees the platform's message or update id, so a platform's redelivery is answered
once. A URL check (a challenge to echo) is answered in the response.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.core.channel import ChannelLimits
from bot.core.errors import InboundRejected, NotYetStored
from bot.core.messages import Inbound
from bot.request_body import BODY_SECONDS, BodyRefused, read_body
from bot.router import Router

logger = logging.getLogger(__name__)


class PushChannel(Protocol):
    limits: ChannelLimits

    def admit(self, headers: Mapping[str, str]) -> None:
        """InboundRejected for what the headers alone show forged or unwanted; the body is not read yet."""
        ...

    def receive(self, headers: Mapping[str, str], body: bytes) -> Inbound | dict[str, Any] | None:
        """The message for the router, a JSON answer to give at once (a URL check), or None to ignore;
        InboundRejected for a forged, stale or malformed callback."""
        ...


class PushGateway:
    """POST /PLATFORM/{account} for one platform's accounts."""

    def __init__(
        self,
        platform: str,
        channels: Mapping[str, PushChannel],
        router: Router,
        *,
        body_seconds: float = BODY_SECONDS,
    ) -> None:
        self.platform = platform
        self.channels = channels
        self.router = router
        self.body_seconds = body_seconds  # how long a callback's body may take to arrive

    def route(self) -> Route:
        return Route(f"/{self.platform}/{{account}}", self.webhook, methods=["POST"])

    async def webhook(self, request: Request) -> Response:
        channel = self.channels.get(request.path_params["account"])
        if channel is None:
            metrics.CALLBACKS.labels(self.platform, "rejected").inc()
            return PlainTextResponse("unknown account", status_code=404)
        try:
            channel.admit(request.headers)  # a forged request costs no body read
            received = channel.receive(request.headers, await read_body(request, seconds=self.body_seconds))
        except (BodyRefused, InboundRejected) as exc:
            metrics.CALLBACKS.labels(self.platform, "rejected").inc()
            logger.warning("%s callback refused path=%s: %s", self.platform, request.url.path, exc.reason)
            return (
                exc.response()
                if isinstance(exc, BodyRefused)
                else PlainTextResponse("", status_code=exc.status)
            )
        if isinstance(received, dict):
            return JSONResponse(received)
        if received is not None:
            try:
                await self.router.push(received, channel.limits)
            except NotYetStored:  # an error status makes the platform deliver it again
                metrics.CALLBACKS.labels(self.platform, "error").inc()
                return PlainTextResponse("", status_code=503)
        return Response(status_code=200)
