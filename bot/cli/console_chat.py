"""The interactive console chat of `zhibu chat` and `zhibu demo`.

A typed line goes to the router as a chat message would. Lines starting with ``/群``, ``/私聊`` or
``/快进`` belong to the console itself: they move the identity between its private chat with the
bot and a bound group chat, or move a demo's time on. In a demo, what the bot sends by itself
(清单, greetings, reminders, broadcasts) is shown between prompts, each marked with its kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import Session

from bot.channels.console import ACCOUNT, CHANNEL, ConsoleChannel
from bot.cli._common import console, fail
from bot.core.messages import Reply, Target
from bot.router import Router
from handlers import texts, when
from handlers.guide import awaits_body
from storage.chats import bound_groups
from storage.db import session_scope
from storage.members import bind_identity, by_name
from storage.models import Member, Organization

STRANGER = "console-guest"
QUIT = {"q", "quit", "exit", "退出"}
# Every job runs at each of its fire times, the 5-minute ones too: about two seconds a demo day.
FAST_FORWARD_MAX = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class Arrival:
    """A message the bot sent by itself, as it reached the console."""

    target: Target
    reply: Reply
    kind: str
    at: datetime


class Live(Protocol):
    """A demo's scheduler and sender, run between prompts (bot/cli/foreground.py)."""

    def catch_up(self) -> list[Arrival]: ...

    def advance(
        self, until: datetime, progress: Callable[[datetime], None] | None = None
    ) -> list[Arrival]: ...


def console_member(eng: Engine, name: str | None) -> Member | None:
    """The member called ``name``, bound to the console as a member would bind in chat; None for a guest."""
    if not name:
        return None
    with session_scope(eng) as session:
        found = by_name(session, name)
        if not found:
            raise fail(f"名册里没有“{name}” / no member named {name!r}", 1)
        if len(found) > 1:
            raise fail(f"名册里有{len(found)}位“{name}”，请用 zhibu members show 区分 / ambiguous name", 1)
        sender_id = f"member-{found[0].id}"
        bind_identity(session, member=found[0], channel=CHANNEL, account=ACCOUNT, external_id=sender_id)
        return found[0]


def sender_id_of(member: Member | None) -> str:
    return STRANGER if member is None else f"member-{member.id}"


def chat_markdown(markdown: str) -> Markdown:
    """Markdown as the chats show it: WeCom and Telegram keep every line break, where CommonMark would
    run the lines of a paragraph (a guide item's 内容, 形式, 时间要求) into one."""
    return Markdown(re.sub(r"(?<=[^\n])\n(?=[^\n])", "  \n", markdown))


def print_replies(replies: list[Reply]) -> None:
    for reply in replies:
        body = chat_markdown(reply.markdown) if reply.markdown else reply.text
        console.print(Panel(body, title="支部助手", title_align="left", border_style="red"))


def note(text: str) -> None:
    """The console speaking, not the bot."""
    console.print(Text(text, style="dim"))


class ConsoleChat:
    """One identity at the terminal: its private chat with the bot, or a group chat it has entered."""

    def __init__(
        self, engine: Engine, router: Router, member: Member | None, live: Live | None = None
    ) -> None:
        self.router = router
        self.member = member
        self.live = live
        self.channel = ConsoleChannel(sender_id_of(member))
        with Session(engine) as session:
            self.groups: dict[str, Organization] = dict(
                bound_groups(session, channel=CHANNEL, account=ACCOUNT)
            )
        self.home = next((c for c, org in self.groups.items() if member and org.id == member.org_id), None)

    def run(self) -> None:
        who = self.member.name if self.member else "访客 / guest"
        console.print(
            Text.assemble(
                ("支部助手", "bold"), f" 控制台聊天，身份：{who}。输入“帮助”看用法，输入 q 或按 Ctrl-D 退出。"
            )
        )
        while True:
            if self.live is not None:
                self.show(self.live.catch_up())
            try:
                text = console.input(self.prompt()).strip()
            except (EOFError, KeyboardInterrupt):
                console.print()
                return
            if text.lower() in QUIT:
                return
            if awaits_body(text):
                text = self.read_body(text)
            if text:
                self.say(text)

    def read_body(self, first: str) -> str:
        """A terminal sends a line at a time; the chat apps send a guide as one message of many lines."""
        note(texts.CONSOLE_MULTILINE)
        lines = [first]
        while True:
            try:
                line = console.input(Text("… ", style="green"))
            except (EOFError, KeyboardInterrupt):
                break
            if line.strip() == texts.CONSOLE_MULTILINE_END:
                break
            lines.append(line.rstrip())
        return "\n".join(lines)

    def prompt(self) -> Text:
        where = f"（{self.groups[self.channel.chat_id].name}群）" if self.channel.is_group else ""
        return Text(f"你{where}> ", style="bold green")

    def say(self, text: str) -> None:
        if text.startswith(texts.CONSOLE_GROUP):
            self.enter_group(text.removeprefix(texts.CONSOLE_GROUP).strip())
        elif text == texts.CONSOLE_PRIVATE:
            self.channel.chat_id, self.channel.is_group = self.channel.sender_id, False
            note(texts.CONSOLE_IN_PRIVATE)
        elif text.startswith(texts.CONSOLE_FAST_FORWARD):
            self.fast_forward(text.removeprefix(texts.CONSOLE_FAST_FORWARD).strip())
        else:
            print_replies(self.router.handle(self.channel.inbound(text, self.router.clock.now())))

    def enter_group(self, name: str) -> None:
        """``/群``: the group of the identity's own branch; ``/群 名称``: the group of that organization."""
        if not self.groups:
            note(texts.CONSOLE_GROUP_NONE)
            return
        if not name:
            chat = self.home
            if chat is None:
                note(texts.CONSOLE_GROUP_WHICH.format(example=next(iter(self.groups.values())).name))
                return
        else:
            found = [c for c, org in self.groups.items() if org.name == name] or [
                c for c, org in self.groups.items() if name in org.name
            ]
            if len(found) != 1:
                names = "、".join(org.name for org in self.groups.values())
                note(texts.CONSOLE_GROUP_UNKNOWN.format(name=name, names=names))
                return
            chat = found[0]
        self.channel.chat_id, self.channel.is_group = chat, True
        note(texts.CONSOLE_IN_GROUP.format(org=self.groups[chat].name))

    def fast_forward(self, spec: str) -> None:
        """``/快进 明天09:00``: run what the scheduler would have run meanwhile, and show what arrives."""
        if self.live is None:
            note(texts.CONSOLE_FAST_FORWARD_DEMO_ONLY)
            return
        now = self.router.clock.now()
        found, _ = when.find(spec, now)
        if isinstance(found, when.Unclear):
            past = found.problem is when.Problem.PAST
            note(
                texts.CONSOLE_FAST_FORWARD_PAST.format(now=_moment(now))
                if past
                else when.question(found, now.date())
            )
            return
        target = found.starts_at(now.tzinfo) if found is not None else None
        if target is None:
            note(texts.CONSOLE_FAST_FORWARD_USAGE)
            return
        self.advance(target)

    def advance(self, until: datetime) -> None:
        """Fast-forward to ``until`` with a running status line, then show what arrived."""
        if self.live is None:
            return
        if until - self.router.clock.now() > FAST_FORWARD_MAX:
            note(texts.CONSOLE_FAST_FORWARD_TOO_FAR.format(days=FAST_FORWARD_MAX.days))
            return
        with console.status(
            texts.CONSOLE_FAST_FORWARDING.format(now=_moment(self.router.clock.now()))
        ) as status:
            arrivals = self.live.advance(
                until, lambda moment: status.update(texts.CONSOLE_FAST_FORWARDING.format(now=_moment(moment)))
            )
        shown = self.show(arrivals)
        done = texts.CONSOLE_FAST_FORWARD_DONE if shown else texts.CONSOLE_FAST_FORWARD_QUIET
        note(done.format(now=_moment(until)))

    def show(self, arrivals: Sequence[Arrival]) -> int:
        """Print what reached this identity's chats; count the rest in one line. How many were printed."""
        mine = [a for a in arrivals if self.sees(a.target)]
        for arrival in mine:
            console.print(self.panel(arrival))
        if len(arrivals) > len(mine):
            note(texts.CONSOLE_OTHER_CHATS.format(count=len(arrivals) - len(mine)))
        return len(mine)

    def sees(self, target: Target) -> bool:
        """Its private chat, its branch's group, and the group it is in."""
        if target.channel != CHANNEL:
            return False
        if not target.is_group:
            return target.chat_id == self.channel.sender_id
        return target.chat_id in {self.home, self.channel.chat_id if self.channel.is_group else None}

    def panel(self, arrival: Arrival) -> Panel:
        kind = texts.DELIVERY_KINDS.get(arrival.kind, texts.DELIVERY_KIND_OTHER)
        at = _moment(arrival.at)
        if arrival.target.is_group:
            title = texts.CONSOLE_GROUP_TITLE.format(kind=kind)
            org = self.groups.get(arrival.target.chat_id)
            where = texts.CONSOLE_ARRIVAL_WHERE.format(
                chat=f"{org.name}群" if org else arrival.target.chat_id, at=at
            )
        else:
            title, where = texts.CONSOLE_PRIVATE_TITLE.format(kind=kind), at
        style = "blue" if arrival.target.is_group else "yellow"
        return Panel(
            arrival.reply.text,
            title=title,
            title_align="left",
            subtitle=where,
            subtitle_align="right",
            border_style=style,
        )


def _moment(moment: datetime) -> str:
    return texts.cn_datetime(moment.date(), f"{moment:%H:%M}")
