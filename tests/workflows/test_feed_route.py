"""GET /calendar/{token}.ics: the subscribable feed, served by a real ASGI app."""

from __future__ import annotations

from datetime import datetime

import httpx
from icalendar import Calendar
from sqlalchemy import Engine
from starlette.applications import Starlette

from bot.app import create_app
from bot.core.clock import SHANGHAI
from bot.feeds import routes
from bot.runtime import build_runtime
from bot.settings import Settings
from storage.calendar_feeds import token_for
from storage.db import session_scope
from storage.meetings import create_meeting
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve


def test_feed_serves_the_branch_calendar_and_hides_unknown_tokens(
    engine: Engine, clock: FakeClock, district: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        create_meeting(
            session,
            org_id=district["第一党支部"],
            kind="党课",
            starts_at=datetime(2026, 12, 10, 15, tzinfo=SHANGHAI),
            topic="全会精神宣讲",
        )
        create_meeting(
            session,
            org_id=district["第二党支部"],
            kind="支委会",
            starts_at=datetime(2026, 12, 11, 15, tzinfo=SHANGHAI),
        )
        token = token_for(session, org_id=district["第一党支部"], now=clock.now())
    with (
        serve(Starlette(routes=routes(engine, clock))) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        _check(client, token)


def _check(client: httpx.Client, token: str) -> None:
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(response.content).walk("VEVENT")]
    assert summaries == ["党课：全会精神宣讲"]  # the other branch's meetings are not in this feed
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    assert client.get(f"/calendar/{token}x.ics").status_code == 404
    assert client.post(f"/calendar/{token}.ics").status_code == 405


def test_zhibu_serve_app_serves_the_feed(
    db_url: str, engine: Engine, clock: FakeClock, district: dict[str, int]
) -> None:
    """The same route, mounted by the real runtime and app that `zhibu serve` runs."""
    with session_scope(engine) as session:
        create_meeting(
            session,
            org_id=district["第二党支部"],
            kind="主题党日",
            starts_at=datetime(2026, 12, 4, 14, 30, tzinfo=SHANGHAI),
        )
        token = token_for(session, org_id=district["第二党支部"], now=clock.now())
    runtime = build_runtime(Settings(database_url=db_url), clock=clock, engine=engine)
    try:
        with serve(create_app(runtime)) as base, httpx.Client(base_url=base, timeout=10) as client:
            response = client.get(f"/calendar/{token}.ics")
            assert client.get("/calendar/wrong.ics").status_code == 404
    finally:
        runtime.router.close()
    assert response.status_code == 200
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == "主题党日"
