"""Reading a webhook's request body within limits: at most ``MAX_BODY`` bytes, within ``BODY_SECONDS``.

The platforms send a callback of a few hundred bytes at once. A client that sends more, or
sends it a few bytes at a time, only holds a connection and a task; it is refused instead.
Slow request heads are cut off before the app sees them (bot/http_server.py).
"""

from __future__ import annotations

import asyncio

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response

MAX_BODY = 64 * 1024  # real callbacks are a few hundred bytes
BODY_SECONDS = 5.0  # WeChat and WeCom give up on a callback after 5 s in all (docs/platforms.md §0)


class BodyRefused(Exception):
    """The body was too large, too slow, or never came; ``status`` is the answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> Response:
        # the rest of the body may still be on its way: close rather than read it as the next request
        return PlainTextResponse(self.reason, status_code=self.status, headers={"connection": "close"})


async def read_body(request: Request, *, limit: int = MAX_BODY, seconds: float = BODY_SECONDS) -> bytes:
    """The request body, refused past ``limit`` bytes (without reading it all) or after ``seconds``."""
    declared = request.headers.get("content-length", "").lstrip("0")
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise BodyRefused(413, "too large")  # the length first: int() refuses more than 4,300 digits
    body = bytearray()
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise BodyRefused(413, "too large")
    except TimeoutError:
        raise BodyRefused(408, "request body too slow") from None
    except ClientDisconnect:
        raise BodyRefused(400, "client went away") from None
    return bytes(body)
