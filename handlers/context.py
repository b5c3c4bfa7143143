"""What a handler knows about the message it is answering."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from bot.core.messages import Inbound
from storage.models import Member, Organization
from storage.point_rules import PointsRules


@dataclass(slots=True)
class HandlerContext:
    """Everything a handler may use; handlers never reach for globals or the platform."""

    session: Session
    inbound: Inbound
    now: datetime  # aware, in the bot's time zone
    asker: Member | None = None  # None: an unbound stranger
    chat_org: Organization | None = None  # the organization this group chat is bound to
    console_url: str = ""  # where the web console is reached ([web] base_url); "" when not configured
    # Set by dispatch (handlers/commands.py) from what the command declares:
    org: Organization | None = None  # what a managers' command acts for (this group's branch, else their own)
    args: str = ""  # the message after the command word: simplified, half-width, unless kept verbatim

    @property
    def words(self) -> list[str]:
        """The arguments split on white space."""
        return self.args.split()

    points: PointsRules = field(default_factory=PointsRules)  # the district's rules (zhibu.toml [points])

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def text(self) -> str:
        return self.inbound.text.strip()
