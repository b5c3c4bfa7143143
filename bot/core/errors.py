"""The whole error vocabulary that crosses layer boundaries.

Channels map platform error codes to these types; the sender decides to retry
or give up by type alone.
"""

from __future__ import annotations

from typing import Literal


class ZhibuError(Exception):
    """Base of every error the project raises on purpose."""


class Misconfigured(ZhibuError):
    """A setting is missing or wrong; raised at start-up, naming the key."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class InboundRejected(ZhibuError):
    """A callback that must not be processed: bad signature, replay, malformed body."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


# bad_code: unknown, used or expired; outsider: not a member of the platform's organization (企业);
# unavailable: the platform could not be asked.
WebLoginProblem = Literal["bad_code", "outsider", "unavailable"]


class WebLoginFailed(ZhibuError):
    """A platform's web login (bot.core.channel.WebLogin) named nobody."""

    def __init__(self, problem: WebLoginProblem) -> None:
        super().__init__(problem)
        self.problem: WebLoginProblem = problem


class NotYetStored(ZhibuError):
    """A message whose handling has not been stored by the reply deadline: answer so the platform retries."""


class SendError(ZhibuError):
    """Base of outbound failures."""


class RetryLater(SendError):
    """Transient: network trouble or rate limited; try again after ``retry_after`` seconds if given."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TokenExpired(SendError):
    """The platform rejected our access token; refresh once and retry once."""


class PermanentFailure(SendError):
    """The platform will never accept this message (blocked user, bad chat id, too long)."""
