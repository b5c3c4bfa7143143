"""`zhibu serve`: the webhooks and the background services in one process."""

from __future__ import annotations

import logging

import typer
import uvicorn

from bot import logs
from bot.app import create_app
from bot.cli._common import error_boundary, require_database, settings
from bot.http_server import uvicorn_options
from bot.runtime import Runtime, build_runtime
from storage.db import display_url

logger = logging.getLogger(__name__)


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="监听地址 / address to listen on"),
    port: int = typer.Option(8000, help="端口 / port"),
) -> None:
    """运行回调服务和后台任务 / run the webhook server and the background services."""
    config = settings()
    logs.setup_serve(config, verbose=bool(ctx.obj and ctx.obj.get("verbose")))
    require_database(config.db_url)
    with error_boundary():
        runtime = build_runtime(config)
    logger.info("database %s", display_url(config.db_url))
    run(runtime, host=host, port=port)


def run(runtime: Runtime, *, host: str, port: int) -> None:
    """Serve until Ctrl-C (or SIGTERM), then stop the background services and return."""
    # log_config=None: uvicorn's loggers go through the root handler of bot/logs.py (format, masking)
    # uvicorn_options: deadlines and size limits for request heads and idle connections
    uvicorn.run(create_app(runtime), host=host, port=port, log_config=None, **uvicorn_options())
