"""The demo's server in the foreground: the scheduler's jobs and the outbox sender, run between prompts.

``zhibu serve`` runs both in the background; a terminal chat runs them while nobody types, so what
the bot sends by itself appears between prompts instead of in the middle of a line being typed.
Deliveries take the real path: the jobs queue them in the outbox, the real sender claims them and
hands them to the console channel, which collects them for the chat to show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot.channels.console import ACCOUNT, CHANNEL, ConsoleChannel
from bot.cli.console_chat import Arrival
from bot.core.clock import ShiftedClock
from bot.sender import Sender
from schedules.fastforward import fast_forward
from schedules.settings import ScheduleSettings
from storage.delivered import kinds_by_platform_id
from storage.outbox import due_count


class Foreground:
    """Jobs due up to a moment, and delivery of everything due to the console, on request."""

    def __init__(self, engine: Engine, settings: ScheduleSettings, clock: ShiftedClock) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.outlet = ConsoleChannel("console-sender")
        self.sender = Sender(engine, {(CHANNEL, ACCOUNT): self.outlet}, clock)
        self.ran_until = clock.now()

    def catch_up(self) -> list[Arrival]:
        """The jobs that fell due while the chat waited for input (one run each), and their messages."""
        return self.advance(self.clock.now())

    def advance(self, until: datetime, progress: Callable[[datetime], None] | None = None) -> list[Arrival]:
        """Move time on to ``until``, running each job at its fire times and delivering after each."""
        arrivals: list[Arrival] = []
        for moment, queued in fast_forward(
            self.engine, self.settings, self.clock, after=self.ran_until, until=until
        ):
            if progress is not None:
                progress(moment)
            if queued or self._due(moment):  # most runs queue nothing: skip the sender's round trip
                arrivals += self.deliver()
        self.ran_until = max(self.ran_until, until)
        return arrivals + self.deliver()

    def deliver(self) -> list[Arrival]:
        """Send everything due now; what reached the console, labelled with the kind of its outbox row."""
        asyncio.run(self._drain())
        sent = self.outlet.take()
        with Session(self.engine) as session:
            kinds = kinds_by_platform_id(session, channel=CHANNEL, platform_ids=[s.platform_id for s in sent])
        at = self.clock.now()
        return [Arrival(s.target, s.reply, kinds.get(s.platform_id, ""), at) for s in sent]

    def _due(self, moment: datetime) -> bool:
        """Whether a message held earlier (quiet hours, a retry) is due by ``moment``."""
        with Session(self.engine) as session:
            return due_count(session, now=moment) > 0

    async def _drain(self) -> None:
        while await self.sender.run_once():
            pass
