"""`zhibu robots ...`: bind group robots (企业微信, 钉钉, 飞书) to organizations and check that they post."""

from __future__ import annotations

import asyncio

import typer
from rich.text import Text
from sqlmodel import Session

from bot.channels import registry
from bot.channels._platform import Channel
from bot.channels.robots import find_robot, robot_tables
from bot.cli._common import console, engine, error_boundary, fail, settings
from bot.core.clock import SystemClock
from bot.core.errors import Misconfigured, SendError
from bot.core.messages import Reply, Target
from handlers.texts import ROBOT_HELLO
from storage.db import session_scope
from storage.orgs import resolve
from storage.robots import bind_robot, robot_bindings

app = typer.Typer(help="群机器人（企业微信、钉钉、飞书）/ group robots.", no_args_is_help=True)

TABLES = " 或 ".join(f"[{platform.section}.NAME]" for platform in registry.robots())
NAME_HELP = f"机器人名：{TABLES} 的 NAME / the robot's table"


def _label(section: str, name: str) -> str:
    return f"{section}.{name}（{registry.PLATFORMS[section].label}）"


def _robot(spec: str) -> tuple[str, str, Channel]:
    try:
        return find_robot(settings().channels, spec, SystemClock())
    except Misconfigured as exc:
        kinds = "、".join(f"[{p.section}.NAME]（{p.label}）" for p in registry.robots())
        raise fail(f"找不到机器人 / {exc}\n在 zhibu.toml 里这样配置 / configure one of: {kinds}") from exc


@app.command("bind")
def bind(
    name: str = typer.Argument(help=NAME_HELP),
    org: str = typer.Argument(help="组织名或路径 / organization name or path, e.g. 某街道党工委/第一党支部"),
) -> None:
    """Send this organization's notices and reminders to the robot's group (绑定群机器人)."""
    section, name, _ = _robot(name)
    with error_boundary(), session_scope(engine()) as session:
        found = resolve(session, org)
        bind_robot(session, channel=section, name=name, org_id=found.id or 0, now=SystemClock().now())
    console.print(f"已绑定 / bound: {_label(section, name)} → {found.name}")


@app.command("list")
def list_robots() -> None:
    """Show which organization each robot posts for (机器人列表)."""
    with Session(engine()) as session:
        rows = robot_bindings(session, [platform.section for platform in registry.robots()])
    tables = robot_tables(settings().channels)
    configured = {(section, name) for section, named in tables.items() for name in named}
    if not rows and not configured:
        console.print(f"还没有群机器人 / no robots: add a table to zhibu.toml: {TABLES}")
    for section, name, org in rows:
        note = "" if (section, name) in configured else "  (未配置 / not in zhibu.toml)"
        console.print(Text.assemble(f"{_label(section, name)} → {org.name}", (note, "red")))
    for section, name in sorted(configured - {(section, name) for section, name, _ in rows}):
        console.print(Text.assemble(f"{_label(section, name)} → ", ("未绑定 / not bound", "dim")))


@app.command("test")
def test(name: str = typer.Argument(help=NAME_HELP)) -> None:
    """Post a short hello into the robot's group now, to check its settings (测试发送)."""
    section, name, channel = _robot(name)

    async def post() -> None:
        try:
            await channel.send(Target(section, name, name, is_group=True), Reply(ROBOT_HELLO))
        finally:
            await channel.aclose()

    try:
        asyncio.run(post())
    except SendError as exc:
        raise fail(f"发送失败 / not sent: {exc}") from exc
    console.print(f"已发送 / sent to {section}.{name}")
