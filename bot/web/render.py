"""Pages from templates/, with the headers every console page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from bot.core.clock import SHANGHAI
from handlers import texts

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes every value

# Only our own files; no frames (clickjacking); the login link never leaves in a Referer header.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
}


def _local(moment: Any, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(SHANGHAI).strftime(pattern) if moment else "—"


templates.env.filters["local"] = _local
templates.env.filters["cn_date"] = texts.cn_date


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(HEADERS)
    return response


templates.env.globals.update(
    kind_names=texts.CONSOLE_KIND_NAMES,
    status_names=texts.CONSOLE_STATUS_NAMES,
    attendance_names=texts.CONSOLE_ATTENDANCE_NAMES,
    action_names=texts.CONSOLE_ACTION_NAMES,
    kb_decisions=texts.CONSOLE_KB_DECISIONS,
)
