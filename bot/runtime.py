"""The composition root: the one module that builds every concrete part from the settings.

``build_runtime`` validates every account table (a bad one fails here, naming
the key), opens the database, and wires channels, router and background services.
Other parts join by appending to ``services`` (started and stopped with the app,
in order) and ``routes`` (extra HTTP endpoints such as a Telegram webhook).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Engine
from starlette.routing import BaseRoute

from bot import metrics, monitoring
from bot.channels._callback import load_accounts
from bot.channels.dingtalk_app import DingTalkAppAccount, DingTalkAppChannel
from bot.channels.feishu_app import FeishuAppAccount, FeishuAppChannel
from bot.channels.robots import Robot, load_robots
from bot.channels.telegram import TelegramAccount, TelegramChannel, TelegramPoller
from bot.channels.wechat import WeChatAccount, WeChatChannel
from bot.channels.wecom import WeComAccount, WeComChannel
from bot.core.channel import OutboundChannel, TokenStore
from bot.core.clock import Clock, SystemClock
from bot.feeds import routes as feed_routes
from bot.health import HealthCheck
from bot.heap import freeze_warm_heap
from bot.housekeeping import Housekeeping
from bot.push_gateway import PushGateway
from bot.router import Router
from bot.sender import Sender
from bot.settings import Settings
from bot.telegram_webhook import TelegramGateway, WebhookRegistration
from bot.web import pages as console_pages
from bot.web.config import ConsoleConfig
from schedules.service import SchedulerService
from storage.chats import move_chat
from storage.db import make_engine, require_current, session_scope
from storage.knowledge.base import default_base
from storage.tokens import DatabaseTokenStore
from storage.wal import WalCheckpointer

logger = logging.getLogger(__name__)


class Service(Protocol):
    """A background part of ``zhibu serve`` (the sender, the scheduler) tied to the app's lifespan."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    clock: Clock
    tokens: TokenStore
    router: Router
    wechat: dict[str, WeChatChannel]
    wecom: dict[str, WeComChannel]
    telegram: dict[str, TelegramChannel] = field(default_factory=dict)
    robots: dict[tuple[str, str], Robot] = field(default_factory=dict)  # by (section, name)
    dingtalk: dict[str, DingTalkAppChannel] = field(default_factory=dict)
    feishu: dict[str, FeishuAppChannel] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)
    routes: list[BaseRoute] = field(default_factory=list)
    _started: list[Service] = field(default_factory=list)

    def outbound(self) -> dict[tuple[str, str], OutboundChannel]:
        """Every channel that can send, by (channel, account): what the sender looks targets up in."""
        channels: dict[tuple[str, str], OutboundChannel] = {}
        for name, wechat in self.wechat.items():
            channels[(wechat.name, name)] = wechat
        for name, wecom in self.wecom.items():
            channels[(wecom.name, name)] = wecom
        for by_name in (self.telegram, self.dingtalk, self.feishu):
            for name, channel in by_name.items():
                channels[(channel.name, name)] = channel
        channels.update(self.robots)
        return channels

    async def start(self) -> None:
        default_base().warm()  # jieba's dictionaries and the knowledge index now, not on the first question
        for service in self.services:
            await service.start()
            self._started.append(service)
        freeze_warm_heap()  # after the warm-up: what start-up loaded stays out of every full collection

    async def stop(self) -> None:
        while self._started:
            await self._started.pop().stop()
        for channel in (
            *self.telegram.values(),
            *self.robots.values(),
            *self.dingtalk.values(),
            *self.feishu.values(),
        ):
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
    wechat_accounts = load_accounts("wechat", settings.wechat, WeChatAccount)
    for name, account in wechat_accounts.items():
        if account.encoding_aes_key is None:
            logger.warning(
                "wechat %s: plaintext mode (明文模式) signs callbacks without their body; "
                "switch the 公众号 to safe mode (安全模式) and set encoding_aes_key",
                name,
            )
    wecom_accounts = load_accounts("wecom", settings.wecom, WeComAccount)
    telegram_accounts = load_accounts("telegram", settings.telegram, TelegramAccount)
    dingtalk_accounts = load_accounts("dingtalk", settings.dingtalk, DingTalkAppAccount)
    feishu_accounts = load_accounts("feishu", settings.feishu, FeishuAppAccount)
    clock = clock or SystemClock(settings.tz)
    robots = load_robots(settings, clock)
    engine = engine or make_engine(settings.db_url)
    checkpointer = WalCheckpointer(engine)  # before the first connection, which it configures
    require_current(engine)
    tokens = tokens or DatabaseTokenStore(engine, clock)  # one token per app for every process
    runtime = Runtime(
        settings=settings,
        engine=engine,
        clock=clock,
        tokens=tokens,
        router=Router(
            engine,
            clock,
            deadline=settings.reply_deadline,
            console_url=settings.console_url,
            points=settings.points.to_rules(),
        ),
        wechat={
            name: WeChatChannel(name, a, clock=clock, tokens=tokens) for name, a in wechat_accounts.items()
        },
        wecom={name: WeComChannel(name, a, clock=clock, tokens=tokens) for name, a in wecom_accounts.items()},
        telegram={
            name: TelegramChannel(name, a, clock=clock, on_migrated=_mover(engine, name))
            for name, a in telegram_accounts.items()
        },
        robots=robots,
        dingtalk={
            name: DingTalkAppChannel(name, a, clock=clock, tokens=tokens)
            for name, a in dingtalk_accounts.items()
        },
        feishu={
            name: FeishuAppChannel(name, a, clock=clock, tokens=tokens) for name, a in feishu_accounts.items()
        },
        routes=[*feed_routes(engine, clock)],  # GET /calendar/{token}.ics: branch calendars for phones
        services=[checkpointer],  # SQLite: checkpoints in a thread, not inside a callback's commit
    )
    scheduler: SchedulerService | None = None
    if settings.schedules.enabled:  # guides, birthdays, reminders, nudges: only in the leading process
        scheduler = SchedulerService(engine, settings.schedule_settings(), clock, observe=metrics.job_ran)
        runtime.services.append(scheduler)
    _add_delivery(runtime)
    _add_monitoring(runtime, scheduler)
    runtime.routes += console_pages.routes(engine, clock, console_config(settings))  # /console/
    return runtime


def console_config(settings: Settings) -> ConsoleConfig:
    return ConsoleConfig(base_url=settings.console_url, idle=timedelta(hours=settings.web.idle_hours))


def _mover(engine: Engine, account: str) -> Callable[[str, str], Awaitable[None]]:
    """What a Telegram channel calls when a group got a new id: move its binding and waiting messages."""

    def move(old_id: str, new_id: str) -> None:
        with session_scope(engine) as session:
            move_chat(session, channel="telegram", account=account, old_id=old_id, new_id=new_id)

    async def moved(old_id: str, new_id: str) -> None:
        await asyncio.to_thread(move, old_id, new_id)

    return moved


def _add_delivery(runtime: Runtime) -> None:
    """The push callbacks' routes, Telegram's pollers, and the sender every process runs."""
    gateway = TelegramGateway(runtime.telegram, runtime.router, runtime.engine)
    runtime.routes.append(gateway.route())
    if runtime.telegram:
        runtime.services.append(WebhookRegistration(runtime.telegram, runtime.settings.public_url))
    for channel in runtime.telegram.values():
        if channel.account.webhook_secret is None:  # no public URL: long polling instead of the webhook
            runtime.services.append(TelegramPoller(channel, gateway.answer))
    for platform, channels in (("dingtalk", runtime.dingtalk), ("feishu", runtime.feishu)):
        runtime.routes.append(PushGateway(platform, channels, runtime.router, runtime.engine).route())
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
