"""The ASGI application: platform webhooks and the runtime's routes (/healthz, /metrics, /console/ …).

Every platform of bot/channels/registry.py that takes callbacks gets ``/SECTION/{account}``, served
by its style's gateway: ``callback`` here for those answered in the HTTP response, bot/push_gateway.py
for those answered through the outbox. Each route translates HTTP to one channel call and one router
call and back. A forged or stale callback gets 403 before anything is stored or answered, and before
its body is read when the query string or the headers alone show it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot import metrics
from bot.channels import registry
from bot.channels._callback import Callback
from bot.core.channel import ChannelLimits
from bot.core.errors import InboundRejected, NotYetStored
from bot.core.messages import Reply
from bot.push_gateway import PushGateway
from bot.request_body import BODY_SECONDS, BodyRefused, read_body
from bot.router import Router
from storage import inbound as inbound_log

logger = logging.getLogger(__name__)


class CallbackChannel(Protocol):
    """What a channel answered in the HTTP response offers its webhook route (signed query string)."""

    limits: ChannelLimits

    def verify_url(self, query: Mapping[str, str]) -> str: ...

    def check_query(self, query: Mapping[str, str]) -> None: ...

    def parse(self, query: Mapping[str, str], body: bytes) -> Callback: ...

    def render(self, callback: Callback, reply: Reply | None) -> tuple[str, str]: ...


class AppRuntime(Protocol):
    """What the app needs from bot.runtime.Runtime (which sits above it)."""

    @property
    def router(self) -> Router: ...

    @property
    def channels(self) -> Mapping[str, Mapping[str, Any]]: ...  # by platform, then account

    @property
    def routes(self) -> list[BaseRoute]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def callback(
    request: Request,
    platform: str,
    channels: Mapping[str, CallbackChannel],
    router: Router,
    body_seconds: float = BODY_SECONDS,
) -> Response:
    """GET: the URL handshake. POST: verify, parse, dedupe and answer one message.

    ``platform``: the registry section of the route, in metrics' labels.
    """
    account = request.path_params["account"]
    channel = channels.get(account)
    if channel is None:
        metrics.CALLBACKS.labels(platform, "rejected").inc()
        return PlainTextResponse("unknown account", status_code=404)
    query = dict(request.query_params)
    try:
        if request.method == "GET":
            return PlainTextResponse(channel.verify_url(query))
        channel.check_query(query)  # a stale or forged query string costs no body read
        body = await read_body(request, seconds=body_seconds)
        parsed = channel.parse(query, body)
        # plaintext mode: every body, answered or not, uses up the signed query string it came with
        signature = (
            None
            if parsed.encrypted
            else inbound_log.SignatureUse(
                platform, account, parsed.timestamp, parsed.nonce, hashlib.sha256(body).hexdigest()
            )
        )
        if signature is not None and parsed.inbound is None:  # a message's is recorded with its batch
            # bounded, so a locked database leaves the reply most of the platform's 5 s, or a 503 to retry
            await asyncio.wait_for(asyncio.to_thread(router.use_signature, signature), router.deadline / 2)
        reply = await router.respond(parsed.inbound, channel.limits, signature) if parsed.inbound else None
    except BodyRefused as exc:
        metrics.CALLBACKS.labels(platform, "rejected").inc()
        logger.warning("callback refused path=%s: %s", request.url.path, exc.reason)
        return exc.response()
    except InboundRejected as exc:
        metrics.CALLBACKS.labels(platform, "rejected").inc()
        logger.warning("callback refused path=%s: %s", request.url.path, exc.reason)
        return PlainTextResponse("", status_code=exc.status)
    except TimeoutError:
        metrics.CALLBACKS.labels(platform, "error").inc()
        logger.warning(
            "callback path=%s: the database is slow, the platform is asked to retry", request.url.path
        )
        return PlainTextResponse("", status_code=503)
    except NotYetStored:  # the platform retries on an error status (docs/platforms.md)
        metrics.CALLBACKS.labels(platform, "error").inc()
        return PlainTextResponse("", status_code=503)
    content, media_type = channel.render(parsed, reply)
    return Response(content, media_type=media_type)


def create_app(runtime: AppRuntime, *, body_seconds: float = BODY_SECONDS) -> Starlette:
    """The webhook app; ``body_seconds`` is how long a callback's body may take to arrive."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    return Starlette(routes=[*_platform_routes(runtime, body_seconds), *runtime.routes], lifespan=lifespan)


def _platform_routes(runtime: AppRuntime, body_seconds: float = BODY_SECONDS) -> list[BaseRoute]:
    """``/SECTION/{account}`` for every platform that takes callbacks, served by its style's gateway."""
    routes: list[BaseRoute] = []
    for section, platform in registry.PLATFORMS.items():
        channels = runtime.channels.get(section, {})
        if platform.callbacks == "push":
            routes.append(PushGateway(section, channels, runtime.router, body_seconds=body_seconds).route())
        elif platform.callbacks == "reply":
            endpoint = _answered_in_response(runtime, section, channels, body_seconds)
            routes.append(Route(f"/{section}/{{account}}", endpoint, methods=["GET", "POST"]))
    return routes


def _answered_in_response(
    runtime: AppRuntime, section: str, channels: Mapping[str, CallbackChannel], body_seconds: float
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        # the runtime's router as it is now, not as it was when the routes were built
        return await callback(request, section, channels, runtime.router, body_seconds)

    return endpoint
