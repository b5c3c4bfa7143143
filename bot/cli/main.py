"""The whole `zhibu` command: every group assembled. Each group lives in its own module."""

from __future__ import annotations

import typer

from bot import logs
from bot.cli import (
    audit,
    broadcast,
    chat,
    db,
    demo,
    export,
    guide,
    jobs,
    kb,
    members,
    orgs,
    outbox,
    plans,
    points,
    robots,
    serve,
    web,
    wishes,
)
from bot.redact import secrets_of
from bot.settings import load_settings

app = typer.Typer(
    name="zhibu",
    help="支部助手 zhibu: 组织生活清单、政治生日、三会一课提醒和党务问答。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="详细日志 / debug logging"),
) -> None:
    ctx.obj = {"verbose": verbose}  # `zhibu serve` sets its own levels and keeps this
    logs.setup(verbose=verbose, secrets=_configured_secrets())


def _configured_secrets() -> set[str]:
    """The secrets to mask in what -v shows; a broken configuration is the command's to report."""
    try:
        return secrets_of(load_settings())
    except Exception:
        return set()


app.command("init")(db.init)
app.command("ask")(chat.ask)
app.command("chat")(chat.chat)
app.command("demo")(demo.demo)
app.command("audit")(audit.audit)
app.command("broadcast")(broadcast.broadcast)
app.command("serve")(serve.serve)
app.add_typer(db.app, name="db")
app.add_typer(orgs.app, name="orgs")
app.add_typer(members.app, name="members")
app.add_typer(export.app, name="export")
app.add_typer(kb.app, name="kb")
app.add_typer(jobs.app, name="jobs")
app.add_typer(guide.app, name="guide")
app.add_typer(plans.app, name="plans")
app.add_typer(robots.app, name="robots")
app.add_typer(outbox.app, name="outbox")
app.add_typer(web.app, name="console")
app.add_typer(wishes.app, name="wishes")
app.add_typer(points.app, name="points")
