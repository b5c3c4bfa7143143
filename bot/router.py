"""Inbound message → the right handler → replies, inside one database transaction.

The router knows no concrete channel: whoever received the message passes an
``Inbound`` and sends back what ``handle`` returns, through the same channel.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.core.clock import Clock
from bot.core.messages import Inbound, Reply
from handlers import texts
from handlers.ask import Outcome
from handlers.commands import dispatch, explain
from handlers.context import HandlerContext
from storage.db import session_scope
from storage.members import for_identity
from storage.models import ChatBinding, Organization

logger = logging.getLogger(__name__)


class Router:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def handle(self, inbound: Inbound) -> list[Reply]:
        """Answer one message; a bug in a handler becomes an apology, not silence."""
        try:
            with session_scope(self.engine) as session:
                return dispatch(self._context(session, inbound))
        except Exception:
            logger.exception(
                "handler failed channel=%s account=%s chat=%s", inbound.channel, inbound.account, inbound.chat_id
            )
            return [Reply(texts.ERROR)]

    def explain(self, inbound: Inbound) -> Outcome:
        """Answer one message and say how (answer, live, suggestions, fallback): for tuning, not for chat."""
        with session_scope(self.engine) as session:
            return explain(self._context(session, inbound))

    def _context(self, session: Session, inbound: Inbound) -> HandlerContext:
        asker = for_identity(
            session, channel=inbound.channel, account=inbound.account, external_id=inbound.sender_id
        )
        binding = session.exec(
            select(ChatBinding).where(
                ChatBinding.channel == inbound.channel,
                ChatBinding.account == inbound.account,
                ChatBinding.chat_id == inbound.chat_id,
            )
        ).first()
        chat_org = session.get(Organization, binding.org_id) if binding else None
        return HandlerContext(
            session=session,
            inbound=inbound,
            now=self.clock.now(),
            asker=asker,
            chat_org=chat_org,
        )
