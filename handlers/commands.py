"""THE command table: which words reach which handler, in order; first match wins.

Every handler has one signature, ``(ctx) -> list[Reply]``. Text that matches no
command goes to the question answerer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.messages import Reply
from handlers import help as help_handler
from handlers import party_age
from handlers.ask import answer
from handlers.context import HandlerContext

Handler = Callable[[HandlerContext], list[Reply]]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    pattern: re.Pattern[str]
    handler: Handler
    summary: str


def _words(*words: str) -> re.Pattern[str]:
    """Match a message that is one of ``words``, alone or followed by arguments."""
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"^(?:{alternatives})(?:\s+.*)?$", re.IGNORECASE | re.DOTALL)


COMMANDS: tuple[Command, ...] = (
    Command("help", _words("/help", "/start", "帮助", "help", "菜单", "?", "？"), help_handler.show, "用法说明"),
    Command(
        "birthday",
        re.compile(r"^(?:我的)?政治生日(?:是哪天|是什么时候|是几号)?[?？]?$"),
        party_age.political_birthday,
        "我的政治生日",
    ),
    Command("standing", re.compile(r"^(?:我的)?党龄(?:多少年?|几年)?[?？]?$"), party_age.standing, "我的党龄"),
)


def dispatch(ctx: HandlerContext) -> list[Reply]:
    text = ctx.text
    for command in COMMANDS:
        if command.pattern.match(text):
            return command.handler(ctx)
    return answer(ctx)
