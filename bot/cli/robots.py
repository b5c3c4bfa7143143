"""`zhibu robots ...`: bind 企业微信群机器人 to organizations and check that they post."""

from __future__ import annotations

import asyncio

import typer
from rich.text import Text
from sqlmodel import Session

from bot.channels._callback import load_accounts
from bot.channels.robot import RobotAccount, RobotChannel
from bot.cli._common import console, engine, error_boundary, fail, settings
from bot.core.clock import SystemClock
from bot.core.errors import SendError
from bot.core.messages import Reply, Target
from handlers.texts import ROBOT_HELLO
from storage.db import session_scope
from storage.orgs import resolve
from storage.robots import bind_robot, robot_bindings

app = typer.Typer(help="企业微信群机器人 / WeCom group robots.", no_args_is_help=True)


def _robot(name: str) -> RobotAccount:
    with error_boundary():
        robots = load_accounts("robot", settings().robot, RobotAccount)
    if name not in robots:
        known = "、".join(robots) or "（无 / none）"
        raise fail(f"zhibu.toml 里没有 [robot.{name}]（已配置：{known}）/ no [robot.{name}] table is configured")
    return robots[name]


@app.command("bind")
def bind(
    name: str = typer.Argument(help="机器人名，即 [robot.NAME] / the robot's table name"),
    org: str = typer.Argument(help="组织名或路径 / organization name or path, e.g. 某街道党工委/第一党支部"),
) -> None:
    """Send this organization's notices and reminders to the robot's group (绑定群机器人)."""
    _robot(name)
    with error_boundary(), session_scope(engine()) as session:
        found = resolve(session, org)
        bind_robot(session, name=name, org_id=found.id or 0, now=SystemClock().now())
    console.print(f"已绑定 / bound: robot.{name} → {found.name}")


@app.command("list")
def list_robots() -> None:
    """Show which organization each robot posts for (机器人列表)."""
    with Session(engine()) as session:
        rows = robot_bindings(session)
    configured = set(settings().robot)
    if not rows and not configured:
        console.print('还没有群机器人 / no robots: add [robot.NAME] webhook_key = "..." to zhibu.toml')
    for name, org in rows:
        note = "" if name in configured else "  (未配置 / not in zhibu.toml)"
        console.print(Text.assemble(f"robot.{name} → {org.name}", (note, "red")))
    for name in sorted(configured - {name for name, _ in rows}):
        console.print(Text.assemble(f"robot.{name} → ", ("未绑定 / not bound", "dim")))


@app.command("test")
def test(name: str = typer.Argument(help="机器人名 / the robot's table name")) -> None:
    """Post a short hello into the robot's group now, to check the key (测试发送)."""
    channel = RobotChannel(name, _robot(name))

    async def post() -> None:
        try:
            await channel.send(Target("robot", name, name, is_group=True), Reply(ROBOT_HELLO))
        finally:
            await channel.aclose()

    try:
        asyncio.run(post())
    except SendError as exc:
        raise fail(f"发送失败 / not sent: {exc}") from exc
    console.print(f"已发送 / sent to robot.{name}")
