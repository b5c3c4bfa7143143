"""GET /healthz for load balancers and GET /metrics for Prometheus; bot/runtime.py adds both to the app.

/healthz answers 200 with the findings as JSON, or 503 naming the failing parts
("database", "migrations", "outbox"), so a balancer takes a process out only for
what it can act on. Who leads the scheduler is reported, never a failure: a
process serving webhooks only is fine.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.health import HealthCheck


def routes(check: HealthCheck) -> list[Route]:
    async def healthz(request: Request) -> Response:
        health = await check.snapshot()
        return JSONResponse(health.as_json(), status_code=503 if health.failing else 200)

    async def scrape(request: Request) -> Response:
        health = await check.snapshot()
        metrics.LEADER.set(1 if health.role == "leader" else 0)
        if health.due is not None:
            metrics.OUTBOX_DUE.set(health.due)
            metrics.OUTBOX_OLDEST_DUE.set(health.oldest_due_seconds or 0.0)
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)

    return [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", scrape, methods=["GET"])]
