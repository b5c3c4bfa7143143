"""The `zhibu` command.

``zhibu ask`` and ``zhibu chat`` are what members and secretaries run most, so
they start without importing every other command group (the web server, the
scheduler, the exporters); everything else gets the full application from
``bot.cli.main``. ``from bot.cli import app`` still gives the full application.
"""

from __future__ import annotations

import sys
from typing import Any

_QUICK = {"ask", "chat"}


def run() -> None:
    """Console-script entry point."""
    from bot.cli.usage import run_explained

    if len(sys.argv) > 1 and sys.argv[1] in _QUICK:
        from bot.cli.quick import quick_app

        run_explained(quick_app)
    from bot.cli.main import app

    run_explained(app)


def __getattr__(name: str) -> Any:
    if name == "app":
        from bot.cli.main import app

        return app
    raise AttributeError(name)
