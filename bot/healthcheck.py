"""`python -m bot.healthcheck [URL]`: exit 0 while `zhibu serve` answers /healthz with 200, else 1.

The container's HEALTHCHECK (the slim image has no curl). On failure it prints what /healthz named
as failing, so `docker inspect --format '{{json .State.Health}}'` shows the reason, not just "unhealthy".
"""

from __future__ import annotations

import sys

import httpx

DEFAULT_URL = "http://127.0.0.1:8000/healthz"


def problem(url: str = DEFAULT_URL, timeout: float = 5.0) -> str | None:
    """Why the server is not healthy, or ``None`` when it is."""
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return f"{url}: {type(exc).__name__}: {exc}"
    if response.status_code == 200:
        return None
    try:
        failing = ", ".join(response.json().get("failing") or []) or "?"
    except ValueError:
        failing = response.text[:200]
    return f"{url}: HTTP {response.status_code}, failing: {failing}"


def main(argv: list[str]) -> int:
    reason = problem(argv[0] if argv else DEFAULT_URL)
    if reason is None:
        return 0
    print(reason, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
