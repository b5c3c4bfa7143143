from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.serve import serve


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse({"path": request.url.path, "q": dict(request.query_params)})


def test_a_fake_is_a_real_http_server_on_loopback() -> None:
    app = Starlette(routes=[Route("/{rest:path}", _echo)])
    with serve(app) as base:
        assert base.startswith("http://127.0.0.1:")
        body = httpx.get(f"{base}/cgi-bin/token", params={"appid": "wx1"}, timeout=5).json()
    assert body == {"path": "/cgi-bin/token", "q": {"appid": "wx1"}}
