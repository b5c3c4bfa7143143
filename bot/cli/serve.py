"""`zhibu serve`: the webhooks and the background services in one process."""

from __future__ import annotations

import typer
import uvicorn

from bot.app import create_app
from bot.cli._common import error_boundary, require_database, settings
from bot.runtime import build_runtime


def serve(
    host: str = typer.Option("127.0.0.1", help="监听地址 / address to listen on"),
    port: int = typer.Option(8000, help="端口 / port"),
) -> None:
    """运行回调服务和后台任务 / run the webhook server and the background services."""
    config = settings()
    require_database(config.db_url)
    with error_boundary():
        runtime = build_runtime(config)
    uvicorn.run(create_app(runtime), host=host, port=port, log_level=config.log_level.lower())
