"""Free-text questions. Until the knowledge base lands this admits what it cannot answer."""

from __future__ import annotations

from bot.core.messages import Reply
from handlers import texts
from handlers.context import HandlerContext


def answer(ctx: HandlerContext) -> list[Reply]:
    return [Reply(texts.UNKNOWN)]
