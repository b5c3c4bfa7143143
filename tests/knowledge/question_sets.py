"""The two question sets and the branch they are asked in, shared by the tests and bench/answers.py.

The public set (tests/data/questions.tsv) names the entry each question must reach; the independent set
(tests/data/independent.tsv) was written without looking at the knowledge base and names only the facts
a right answer must contain, so it measures answers, not entry keys. Both are asked in one small branch
with a secretary, an 组织委员, a full member and a 预备党员 on file (the public set is asked by a
visitor who is not bound, as it was written for), meetings this week and next, and
two held meetings this year, so questions about "我" and "本支部" have something to be answered from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from bot.channels.console import ACCOUNT, CHANNEL, ConsoleChannel
from bot.core.clock import SHANGHAI
from bot.router import Router
from handlers.ask import Outcome
from storage.attendance import mark
from storage.db import session_scope
from storage.meetings import create_meeting
from storage.members import bind_identity
from storage.models import AttendanceStatus, MeetingKind, MeetingStatus, Member, MemberStatus, Role
from storage.orgs import get_or_create
from tests.fakes.clock import FakeClock

DATA = Path(__file__).resolve().parents[1] / "data"
NOT_CONFIDENT = "—"
CONFIDENT = ("answer", "live")


@dataclass(frozen=True, slots=True)
class Question:
    asker: str  # 党员 | 预备 | 书记 | 游客 (not bound)
    text: str
    facts: tuple[tuple[str, ...], ...]  # every group must appear, any one alternative of it
    key: str | None = None  # the public set's entry key (live:… for a live answer)

    def right(self, outcome: Outcome) -> bool:
        if self.facts == ((NOT_CONFIDENT,),):
            return outcome.kind not in CONFIDENT
        if outcome.kind not in CONFIDENT:
            return False
        if self.key is not None and outcome.entry != self.key:
            return False
        return all(any(alt in outcome.text for alt in group) for group in self.facts)


def _lines(name: str) -> list[list[str]]:
    rows = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in rows if line.strip() and not line.startswith("#")]


def public_set() -> list[Question]:
    return [Question("游客", q, ((fact,),), key) for q, key, fact, *_ in _lines("questions.tsv")]


def independent_set() -> list[Question]:
    return [
        Question(asker, q, tuple(tuple(a.strip() for a in g.split(" / ")) for g in facts.split(" | ")))
        for asker, q, facts in _lines("independent.tsv")
    ]


def offtopic_set() -> list[Question]:
    lines = (DATA / "offtopic.txt").read_text(encoding="utf-8").splitlines()
    kept = (q.strip() for q in lines if q.strip() and not q.startswith("#"))
    return [Question("游客", q, ((NOT_CONFIDENT,),)) for q in kept]


def build_branch(engine: Engine) -> None:
    """第一党支部 on 2026-11-23 (a Monday): who is who, and its meetings."""
    with session_scope(engine) as session:
        top, _ = get_or_create(session, name="某街道党工委", kind="党工委", parent_id=None)
        branch, _ = get_or_create(session, name="第一党支部", kind="党支部", parent_id=top.id)
        assert branch.id is not None
        people = {
            "书记": Member(
                name="王书记",
                org_id=branch.id,
                role=Role.SECRETARY,
                joined_on=date(1998, 11, 5),
                full_on=date(1999, 11, 5),
            ),
            "组织": Member(
                name="孙组织",
                org_id=branch.id,
                role=Role.ORGANIZATION,
                joined_on=date(2005, 6, 20),
                full_on=date(2006, 6, 20),
            ),
            "党员": Member(
                name="李党员", org_id=branch.id, joined_on=date(2015, 11, 28), full_on=date(2016, 12, 1)
            ),
            "预备": Member(
                name="赵预备", org_id=branch.id, joined_on=date(2026, 3, 1), status=MemberStatus.PROBATIONARY
            ),
        }
        for label, member in people.items():
            member.sync_join_md()
            session.add(member)
            session.flush()
            bind_identity(session, member=member, channel=CHANNEL, account=ACCOUNT, external_id=label)
        plans = (
            (datetime(2026, 9, 15, 14, 30), MeetingKind.LECTURE, AttendanceStatus.ABSENT),
            (datetime(2026, 10, 20, 15, 0), MeetingKind.GENERAL_ASSEMBLY, AttendanceStatus.PRESENT),
            (datetime(2026, 11, 26, 15, 0), MeetingKind.COMMITTEE, None),
            (datetime(2026, 12, 4, 9, 0), MeetingKind.THEME_DAY, None),
        )
        for naive, kind, status in plans:
            start = naive.replace(tzinfo=SHANGHAI)
            meeting = create_meeting(
                session, org_id=branch.id, kind=kind, starts_at=start, place="党员活动室"
            )
            if status is not None:
                meeting.status = MeetingStatus.HELD
                assert meeting.id is not None and people["党员"].id is not None
                mark(session, meeting_id=meeting.id, member_id=people["党员"].id, status=status, at=start)


def ask_all(engine: Engine, clock: FakeClock, questions: list[Question]) -> list[Outcome]:
    """Each question as its asker would send it (no question here is a bare number picking a choice)."""
    router = Router(engine, clock)
    senders = [q.asker if q.asker != "游客" else f"visitor-{n}" for n, q in enumerate(questions)]
    return [
        router.explain(ConsoleChannel(sender).inbound(q.text, clock.now()))
        for sender, q in zip(senders, questions, strict=True)
    ]
