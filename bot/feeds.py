"""The per-branch calendar feed over HTTP: GET /calendar/{token}.ics, for phone calendar subscriptions.

The token (storage/calendar_feeds.py) is the only credential, so an unknown token
gets the same bare 404 as a missing page, and tokens never reach the logs (bot/redact.py masks
them in every line, the access log shows ``/calendar/***.ics``).
bot/runtime.py adds ``routes(...)`` to the app that `zhibu serve` runs.
"""

from __future__ import annotations

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.clock import Clock
from handlers.calendar_feed import build
from storage.calendar_feeds import org_for_token
from storage.db import session_scope

PATH = "/calendar/{token}.ics"
CACHE_SECONDS = 300


def _ics(engine: Engine, clock: Clock, token: str) -> bytes | None:
    with session_scope(engine) as session:
        org = org_for_token(session, token)
        return None if org is None else build(session, org=org, now=clock.now())


def routes(engine: Engine, clock: Clock) -> list[Route]:
    async def calendar(request: Request) -> Response:
        body = await run_in_threadpool(_ics, engine, clock, request.path_params["token"])
        if body is None:
            return Response(status_code=404)
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Cache-Control": f"private, max-age={CACHE_SECONDS}", "X-Robots-Tag": "noindex"},
        )

    return [Route(PATH, calendar, methods=["GET"])]
