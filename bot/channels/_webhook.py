"""Posting JSON to a platform's webhook and reading its JSON answer, for the robot channels.

What every robot shares: a network error, an HTTP 429 or 5xx, or an answer that is not JSON
is worth retrying; the caller then maps the platform's own error code. The URL and its
query string (which carry the robot's key) never enter an error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from bot.channels._http import LoopClient
from bot.core.clock import Clock, SystemClock
from bot.core.errors import RetryLater

AccountT = TypeVar("AccountT", bound=BaseModel)


class WebhookRobot(Generic[AccountT]):
    """What the group-robot channels share: a named account, a clock for signatures, a connection pool."""

    def __init__(self, account_name: str, account: AccountT, clock: Clock | None = None) -> None:
        self.account_name = account_name
        self.account = account
        self.clock = clock or SystemClock()
        self._http = LoopClient(getattr(account, "timeout", 10.0))

    async def aclose(self) -> None:
        await self._http.aclose()


async def post_json(
    http: httpx.AsyncClient,
    url: str,
    payload: Mapping[str, Any],
    *,
    who: str,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The platform's JSON answer; RetryLater for what a later attempt may get through."""
    try:
        response = await http.post(url, params=params, json=payload, headers=headers)
    except httpx.HTTPError as exc:
        raise RetryLater(f"{who}: network error {type(exc).__name__}") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryLater(f"{who}: HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        raise RetryLater(f"{who}: HTTP {response.status_code}, not JSON") from None
    if not isinstance(answer, dict):
        raise RetryLater(f"{who}: HTTP {response.status_code}, unexpected JSON")
    return answer
