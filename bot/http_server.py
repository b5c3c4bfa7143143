"""How ``zhibu serve`` runs uvicorn: limits on what a client may send before the app sees it.

uvicorn (checked with 0.55 and httptools) starts no timer on a connection until it has
answered a first request, keeps every header it is sent, and keeps reading the rest of a
body the app never asked for. So a client that sends its request head a byte at a time,
megabytes of headers, or a body that never ends, holds a connection and memory for as
long as it likes. ``LimitedHttpTools`` closes such connections; the app's own deadline for
bodies is in bot/request_body.py, and a reverse proxy in front adds its own (README,
"Deployment").
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEAD_SECONDS = 5.0  # the platforms' own deadline for a whole callback
MAX_HEAD = 16 * 1024  # a callback's request line and headers are well under 2 KiB; h11's default limit
KEEP_ALIVE_SECONDS = 5  # an idle connection between two requests
HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
)


class LimitedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request head is late or too large,
    or whose body is still arriving after the answer went out."""

    head_seconds: float = HEAD_SECONDS
    max_head: int = MAX_HEAD

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._head_began = False  # the head began in the chunk being parsed

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._start_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_head()
        self._head_began = True

    def on_headers_complete(self) -> None:
        self._stop_head()
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        self._head_began = False
        super().data_received(data)
        if self._head_timer is None or self._head_began:
            return  # no head pending, or it began in this chunk: that chunk is bounded by the read size
        self._head_bytes += len(data)
        if self._head_bytes > self.max_head:
            self._stop_head()
            self.transport.write(HEAD_TOO_LARGE)
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        cycle = self.cycle  # a pipelined request started just now has not answered yet: left alone
        unread = cycle is not None and cycle.response_complete and cycle.more_body
        if unread and not self.transport.is_closing():
            self.transport.close()  # the app answered without the whole body; the rest is not read

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head()
        super().connection_lost(exc)

    def _start_head(self) -> None:
        self._stop_head()
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(self.head_seconds, self._head_too_slow)

    def _stop_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options() -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config``."""
    return {"http": LimitedHttpTools, "timeout_keep_alive": KEEP_ALIVE_SECONDS}
