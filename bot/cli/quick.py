"""A small `zhibu` holding only the question commands, for a quick start."""

from __future__ import annotations

import typer

from bot.cli import chat

quick_app = typer.Typer(name="zhibu", add_completion=False, pretty_exceptions_show_locals=False)
quick_app.command("ask")(chat.ask)
quick_app.command("chat")(chat.chat)
