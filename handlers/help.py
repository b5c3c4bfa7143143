"""The usage card."""

from __future__ import annotations

from bot.core.messages import Reply
from handlers import texts
from handlers.context import HandlerContext


def show(ctx: HandlerContext) -> list[Reply]:
    return [Reply(texts.HELP)]


def secretary(ctx: HandlerContext) -> list[Reply]:
    return [Reply(texts.SECRETARY_HELP)]


def welcome(ctx: HandlerContext) -> list[Reply]:
    """Greets a new follower: what the bot is and what to ask."""
    return [Reply(texts.WELCOME)]
