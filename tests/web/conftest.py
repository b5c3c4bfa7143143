"""The demo world served by the console's routes on a real local HTTP server, and logging in to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import col, select
from starlette.applications import Starlette

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply, Target
from bot.web import pages
from bot.web.config import ConsoleConfig
from handlers.console_login import issue_link
from storage import outbox
from storage.attendance import mark
from storage.db import session_scope
from storage.demo import OFFICE, TOP, Demo, build_demo
from storage.guides import month_guide, withdraw
from storage.members import by_name
from storage.models import AttendanceStatus, DeliveryStatus, Meeting, MeetingStatus
from storage.orgs import by_name as org_named
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve

SECRETARY = "林晓红"  # 书记 of 街道机关党支部
DISTRICT = "苏文"  # 组织委员 of 幸福街道党工委: every branch below it
MEMBER = "高雪"  # a plain member of 街道机关党支部
GUIDE = (  # a month's 组织生活清单 as typed on the 清单 page
    "# 2026年11月组织生活清单\n## 学习全会精神\n"
    "- 内容：原原本本学习全会公报\n- 形式：集中学习\n- 时间要求：11月30日前"
)


@dataclass
class Site:
    base: str
    engine: Engine
    clock: FakeClock

    def link(self, name: str) -> str:
        with session_scope(self.engine) as session:
            return issue_link(
                session, member=by_name(session, name)[0], base_url=self.base, now=self.clock.now()
            )

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=10, follow_redirects=True)

    @contextmanager
    def login(self, name: str) -> Iterator[httpx.Client]:
        """A client signed in as ``name`` through a fresh link (the confirm button's POST)."""
        with self.client() as client:
            response = client.post(self.link(name))
            assert response.status_code == 200 and response.url.path.startswith("/console/")
            yield client


@pytest.fixture
def demo(engine: Engine, clock: FakeClock) -> Demo:
    with session_scope(engine) as session:
        return build_demo(session, today=clock.now().date(), chats=("console", "local"))


@pytest.fixture
def site(engine: Engine, clock: FakeClock, demo: Demo) -> Iterator[Site]:
    app = Starlette(routes=pages.routes(engine, clock, ConsoleConfig()))
    with serve(app) as base:
        yield Site(base, engine, clock)


def drop_the_demo_s_december_guide(engine: Engine) -> None:
    """The demo's street committee published December's guide already; a test writes its own instead."""
    with session_scope(engine) as session:
        found = month_guide(session, org_named(session, TOP)[0].id or 0, "2026-12")
        assert found is not None
        withdraw(session, found)


def csrf_of(html: str) -> str:
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def queue_delivery(engine: Engine, branch: str, status: DeliveryStatus, error: str = "") -> int:
    """A 通知 to the branch's group chat, left in ``status`` (with the platform's ``error``); its id."""
    with session_scope(engine) as session:
        org = next(o for o in org_named(session, branch))
        outbox.enqueue(
            session,
            target=Target("console", "local", f"group-{branch}", True),
            reply=Reply("本周五下午开党课"),
            dedupe_key=f"test:{branch}:{status}",
            kind="broadcast",
            org_id=org.id,
        )
        row = outbox.by_key(session, f"test:{branch}:{status}")
        assert row is not None and row.id is not None
        row.status, row.last_error = status, error
        return row.id


def held_lecture(engine: Engine) -> int:
    """The id of the demo's 党课 of six days ago in 街道机关党支部, held, with its attendance."""
    with session_scope(engine) as session:
        office = org_named(session, OFFICE)[0]
        found = session.exec(
            select(Meeting)
            .where(Meeting.org_id == office.id, Meeting.kind == "党课", Meeting.status == MeetingStatus.HELD)
            .order_by(col(Meeting.starts_at).desc())
        ).first()
        assert found is not None and found.id is not None
        return found.id


def signed_in(engine: Engine, meeting_id: int, name: str) -> int:
    """Record ``name`` as signed in to the meeting; the member's id."""
    with session_scope(engine) as session:
        member = by_name(session, name)[0]
        assert member.id is not None
        mark(
            session,
            meeting_id=meeting_id,
            member_id=member.id,
            status=AttendanceStatus.PRESENT,
            at=datetime(2026, 11, 17, 14, 20, tzinfo=SHANGHAI),
        )
        return member.id
