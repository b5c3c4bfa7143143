"""The composition root: the one module that builds every concrete part from the settings.

``build_runtime`` validates every account table (a bad one fails here, naming
the key), opens the database, and wires channels, router and background services.
Every platform comes from bot/channels/registry.py. Other parts join by appending to ``services``
(started and stopped with the app, in order) and ``routes`` (extra HTTP endpoints, e.g. calendar feeds).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from starlette.routing import BaseRoute

from bot import metrics, monitoring
from bot.channels import registry
from bot.channels._platform import Channel, MoveChat, Service, Shared
from bot.core.channel import OutboundChannel, TokenStore, WebLogin
from bot.core.clock import Clock, SystemClock
from bot.feeds import routes as feed_routes
from bot.health import HealthCheck
from bot.heap import freeze_warm_heap
from bot.housekeeping import Housekeeping
from bot.router import Router
from bot.sender import Sender
from bot.settings import Settings
from bot.web import pages as console_pages
from bot.web.config import ConsoleConfig
from schedules.service import SchedulerService
from storage.chats import move_chat
from storage.db import make_engine, require_current, session_scope
from storage.knowledge.base import default_base
from storage.tokens import DatabaseTokenStore
from storage.wal import WalCheckpointer

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    clock: Clock
    tokens: TokenStore
    router: Router
    channels: dict[str, dict[str, Channel]] = field(default_factory=dict)  # by platform, then account
    services: list[Service] = field(default_factory=list)
    routes: list[BaseRoute] = field(default_factory=list)
    _started: list[Service] = field(default_factory=list)

    def outbound(self) -> dict[tuple[str, str], OutboundChannel]:
        """Every channel that can send, by (channel, account): what the sender looks targets up in."""
        return {(section, name): c for section, named in self.channels.items() for name, c in named.items()}

    def web_logins(self) -> dict[tuple[str, str], WebLogin]:
        """The channels whose app can log a member in to the web console, by (channel, account)."""
        return {key: c for key, c in self.outbound().items() if isinstance(c, WebLogin)}

    async def start(self) -> None:
        default_base().warm()  # jieba's dictionaries and the knowledge index now, not on the first question
        for service in self.services:
            await service.start()
            self._started.append(service)
        freeze_warm_heap()  # after the warm-up: what start-up loaded stays out of every full collection

    async def stop(self) -> None:
        while self._started:
            await self._started.pop().stop()
        for by_name in self.channels.values():
            for channel in by_name.values():
                await channel.aclose()
        self.router.close()


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    tokens: TokenStore | None = None,
) -> Runtime:
    """Everything ``zhibu serve`` runs, validated; raises Misconfigured or SchemaOutdated before serving."""
    accounts = {
        section: registry.accounts(platform, settings.channels.get(section, {}))
        for section, platform in registry.PLATFORMS.items()
    }
    clock = clock or SystemClock(settings.tz)
    engine = engine or make_engine(settings.db_url)
    checkpointer = WalCheckpointer(engine)  # before the first connection, which it configures
    require_current(engine)
    tokens = tokens or DatabaseTokenStore(engine, clock)  # one token per app for every process
    router = Router(
        engine,
        clock,
        deadline=settings.reply_deadline,
        console_url=settings.console_url,
        points=settings.points.to_rules(),
    )
    shared = Shared(clock, tokens, router.push, _mover(engine), public_url=settings.public_url)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        clock=clock,
        tokens=tokens,
        router=router,
        channels={
            section: {name: registry.PLATFORMS[section].build(name, a, shared) for name, a in tables.items()}
            for section, tables in accounts.items()
        },
        routes=[*feed_routes(engine, clock)],  # GET /calendar/{token}.ics: branch calendars for phones
        services=[checkpointer],  # SQLite: checkpoints in a thread, not inside a callback's commit
    )
    for section, platform in registry.PLATFORMS.items():  # pollers, webhook registrations
        runtime.services += platform.services(runtime.channels[section], shared)
    scheduler: SchedulerService | None = None
    if settings.schedules.enabled:  # guides, birthdays, reminders, nudges: only in the leading process
        scheduler = SchedulerService(engine, settings.schedule_settings(), clock, observe=metrics.job_ran)
        runtime.services.append(scheduler)
    _add_delivery(runtime)
    _add_monitoring(runtime, scheduler)
    runtime.routes += console_pages.routes(  # /console/
        engine, clock, console_config(settings), runtime.web_logins()
    )
    return runtime


def console_config(settings: Settings) -> ConsoleConfig:
    return ConsoleConfig(base_url=settings.console_url, idle=timedelta(hours=settings.web.idle_hours))


def _mover(engine: Engine) -> MoveChat:
    """What a channel calls when a group got a new id: move its binding and waiting messages."""

    def move(channel: str, account: str, old_id: str, new_id: str) -> None:
        with session_scope(engine) as session:
            move_chat(session, channel=channel, account=account, old_id=old_id, new_id=new_id)

    async def moved(channel: str, account: str, old_id: str, new_id: str) -> None:
        await asyncio.to_thread(move, channel, account, old_id, new_id)

    return moved


def _add_delivery(runtime: Runtime) -> None:
    """The sender and the housekeeping every process runs."""
    lease = timedelta(seconds=runtime.settings.sender_lease_seconds)
    runtime.services.append(Sender(runtime.engine, runtime.outbound(), runtime.clock, lease=lease))
    runtime.services.append(Housekeeping(runtime.engine, runtime.clock))  # old inbound log and chat state


def _add_monitoring(runtime: Runtime, scheduler: SchedulerService | None) -> None:
    """GET /healthz and /metrics; the scheduler, when this process has one, says whether it leads."""

    def leading() -> bool | None:
        return scheduler.election.is_leader if scheduler is not None else None

    max_backlog = timedelta(minutes=runtime.settings.health_backlog_minutes)
    check = HealthCheck(runtime.engine, runtime.clock, leading=leading, max_backlog=max_backlog)
    runtime.routes += monitoring.routes(check)
