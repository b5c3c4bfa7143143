"""An httpx connection pool per event loop, for channels that talk to their platform directly.

``zhibu serve`` runs one loop for its whole life; tests start a loop per case,
and a pool may not be shared across loops.
"""

from __future__ import annotations

import asyncio

import httpx


class LoopClient:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._http is None or self._loop is not loop:
            self._http = httpx.AsyncClient(timeout=self.timeout)
            self._loop = loop
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
