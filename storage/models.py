"""Every table of zhibu in one module, so relationships resolve without import-order traps.

Datetimes are stored in UTC and come back timezone-aware (see ``AwareDateTime``);
callers convert to Asia/Shanghai for display. Enumerated values are plain strings
checked against the ``StrEnum`` classes below, which keeps migrations portable
between SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class AwareDateTime(TypeDecorator[datetime]):
    """UTC in the database, aware datetimes in Python; SQLite forgets zones otherwise."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class OrgKind(StrEnum):
    COMMITTEE = "党委"
    WORKING_COMMITTEE = "党工委"
    GENERAL_BRANCH = "党总支"
    BRANCH = "党支部"
    GROUP = "党小组"
    COMMUNITY_COMMITTEE = "社区党委"
    GRID_BRANCH = "网格党支部"
    MICRO_GRID_GROUP = "微网格党小组"

    @property
    def is_branch(self) -> bool:
        return self in (OrgKind.BRANCH, OrgKind.GRID_BRANCH)

    @property
    def is_group(self) -> bool:
        return self in (OrgKind.GROUP, OrgKind.MICRO_GRID_GROUP)


class Role(StrEnum):
    SECRETARY = "书记"
    DEPUTY_SECRETARY = "副书记"
    ORGANIZATION = "组织委员"
    PUBLICITY = "宣传委员"
    DISCIPLINE = "纪检委员"
    COMMITTEE = "委员"
    GROUP_LEADER = "党小组长"
    MEMBER = "党员"


class MemberStatus(StrEnum):
    PROBATIONARY = "预备党员"
    FULL = "正式党员"
    TRANSFERRED_OUT = "转出"


class MeetingKind(StrEnum):
    GENERAL_ASSEMBLY = "支部党员大会"
    COMMITTEE = "支委会"
    GROUP = "党小组会"
    LECTURE = "党课"
    THEME_DAY = "主题党日"
    LIFE_MEETING = "组织生活会"
    APPRAISAL = "民主评议党员"


class MeetingStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    LEAVE = "leave"
    ABSENT = "absent"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Organization(SQLModel, table=True):
    """A node of the Party organization tree (党委 → 党总支 → 党支部 → 党小组)."""

    __table_args__ = (sa.UniqueConstraint("parent_id", "name", name="uq_org_parent_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, index=True)
    kind: str = Field(max_length=20)
    parent_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)


class Member(SQLModel, table=True):
    """One Party member as the roster knows them.

    ``join_month``/``join_day`` copy 入党日期 so that the daily political-birthday
    scan is an indexed lookup rather than a walk over every row.
    """

    __table_args__ = (
        sa.Index("ix_member_join_md", "join_month", "join_day"),
        sa.Index("ix_member_name_joined", "name", "joined_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50)
    gender: str | None = Field(default=None, max_length=4)
    birth_date: date | None = None
    org_id: int = Field(foreign_key="organization.id", index=True)
    group_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    role: str = Field(default=Role.MEMBER, max_length=20)
    joined_on: date  # 入党日期: admitted as 预备党员; the political birthday
    full_on: date | None = None  # 转正日期: 党龄 counts from here
    status: str = Field(default=MemberStatus.FULL, max_length=10, index=True)
    phone: str | None = Field(default=None, max_length=20, unique=True)
    join_month: int = Field(default=0)
    join_day: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)

    def sync_join_md(self) -> None:
        self.join_month = self.joined_on.month
        self.join_day = self.joined_on.day


class Identity(SQLModel, table=True):
    """A chat identity proven to belong to a roster member."""

    __table_args__ = (sa.UniqueConstraint("channel", "account", "external_id", name="uq_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    account: str = Field(max_length=50)
    external_id: str = Field(max_length=128)
    member_id: int = Field(foreign_key="member.id", index=True)
    bound_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)


class ChatBinding(SQLModel, table=True):
    """A chat (group or robot webhook) that speaks for an organization."""

    __table_args__ = (sa.UniqueConstraint("channel", "account", "chat_id", name="uq_chat_binding"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    account: str = Field(max_length=50)
    chat_id: str = Field(max_length=128)
    is_group: bool = True
    org_id: int = Field(foreign_key="organization.id", index=True)
    bound_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)


class Meeting(SQLModel, table=True):
    """One of 三会一课, a 主题党日 or an annual meeting, planned or held."""

    __table_args__ = (sa.Index("ix_meeting_org_start", "org_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id")
    kind: str = Field(max_length=20)
    starts_at: datetime = Field(sa_type=AwareDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    place: str = Field(default="", max_length=200)
    topic: str = Field(default="", max_length=500)
    status: str = Field(default=MeetingStatus.PLANNED, max_length=12)
    plan_key: str | None = Field(default=None, max_length=100, unique=True)
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)


class MeetingPlan(SQLModel, table=True):
    """A branch's recurring meeting (e.g. 主题党日 on the first Friday), from which meetings are made ahead.

    ``months`` and ``day`` use APScheduler cron syntax ("*", "1,4,7,10"; "1st fri", "20", "last"),
    so the same trigger code that fires jobs also enumerates the plan's dates.
    """

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    kind: str = Field(max_length=20)
    months: str = Field(default="*", max_length=40)
    day: str = Field(max_length=40)
    at: str = Field(default="14:30", max_length=5)  # "HH:MM", Asia/Shanghai
    place: str = Field(default="", max_length=200)
    topic: str = Field(default="", max_length=500)
    lead_days: int = 21  # how far ahead the meeting is created
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)


class JobRun(SQLModel, table=True):
    """The last day a daily job covered, so a restart catches up on missed days and a new install does not."""

    job_id: str = Field(primary_key=True, max_length=50)
    last_day: date
    last_run_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)


class Attendance(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("meeting_id", "member_id", name="uq_attendance"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    status: str = Field(max_length=10)
    reason: str = Field(default="", max_length=200)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)


class Guide(SQLModel, table=True):
    """A monthly 组织生活清单 issued by an organization for every branch below it."""

    __table_args__ = (sa.UniqueConstraint("org_id", "month", name="uq_guide_org_month"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    month: str = Field(max_length=7)  # "2026-12"
    title: str = Field(max_length=200)
    requirements: str = Field(default="")
    published_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    only_branches: str = Field(default="")  # "12,15": only these branches below the issuer; "" every one


class GuideItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    guide_id: int = Field(foreign_key="guide.id", index=True)
    position: int = 0
    topic: str = Field(max_length=200)  # 主题
    content: str = Field(default="")  # 内容
    form: str = Field(default="", max_length=100)  # 形式
    due: str = Field(default="", max_length=100)  # 时间要求


class KnowledgeEntry(SQLModel, table=True):
    """A question family with its answer; org_id None means it applies everywhere."""

    __table_args__ = (sa.UniqueConstraint("org_id", "key", name="uq_knowledge_org_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, index=True)
    org_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    question: str = Field(max_length=200)
    alternatives: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    keywords: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    answer: str
    source: str = Field(default="", max_length=200)
    builtin: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)


class Delivery(SQLModel, table=True):
    """The outbox: one message for one target, sent at most once per ``dedupe_key``."""

    __table_args__ = (sa.Index("ix_delivery_due", "status", "next_try_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200, unique=True)
    kind: str = Field(default="reply", max_length=30, index=True)
    channel: str = Field(max_length=20)
    account: str = Field(max_length=50)
    chat_id: str = Field(max_length=128)
    is_group: bool = False
    text: str
    markdown: str | None = None
    # platform user ids to @ in a group (a WeCom robot's mentioned_list; "@all" for everyone)
    mentions: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))
    org_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    batch: str | None = Field(default=None, max_length=64, index=True)
    status: str = Field(default=DeliveryStatus.PENDING, max_length=10)
    attempts: int = 0
    next_try_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    last_error: str = Field(default="", max_length=500)
    platform_id: str = Field(default="", max_length=128)
    # The sender that holds the row while "sending"; next_try_at is then its lease expiry.
    claimed_by: str = Field(default="", max_length=64)
    # Parts of a split message already delivered, so a retry resumes after them.
    parts_sent: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


class InboundLog(SQLModel, table=True):
    """Platform message ids already handled, with the reply given, so retries get the same answer."""

    __table_args__ = (sa.UniqueConstraint("channel", "account", "key", name="uq_inbound_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    account: str = Field(max_length=50)
    key: str = Field(max_length=200)
    received_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime, index=True)
    reply: str | None = None


class AccessToken(SQLModel, table=True):
    """Platform access tokens shared by every process, so they do not invalidate each other's."""

    name: str = Field(primary_key=True, max_length=100)
    token: str = Field(max_length=1024)
    expires_at: datetime = Field(sa_type=AwareDateTime)


class AuditLog(SQLModel, table=True):
    """Who did what privileged thing, when, from which chat; ``org_id`` is the organization acted on."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime, index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    org_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    channel: str = Field(default="", max_length=20)
    chat_id: str = Field(default="", max_length=128)
    action: str = Field(max_length=50)
    detail: str = Field(default="")


class BindCode(SQLModel, table=True):
    """A one-time code that proves who a person is, or that a chat belongs to a branch."""

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=128, unique=True)
    purpose: str = Field(max_length=20)  # "member" | "chat"
    member_id: int | None = Field(default=None, foreign_key="member.id")
    org_id: int | None = Field(default=None, foreign_key="organization.id")
    issued_by: int | None = Field(default=None, foreign_key="member.id")
    expires_at: datetime = Field(sa_type=AwareDateTime)
    used_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


class Conversation(SQLModel, table=True):
    """Short-lived per-chat state: a pending confirmation, the numbered choices last offered."""

    __table_args__ = (
        sa.UniqueConstraint("channel", "account", "chat_id", "sender_id", "kind", name="uq_conversation"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    account: str = Field(max_length=50)
    chat_id: str = Field(max_length=128)
    sender_id: str = Field(max_length=128)
    kind: str = Field(max_length=30)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False))
    expires_at: datetime = Field(sa_type=AwareDateTime)


class CalendarFeed(SQLModel, table=True):
    """The unguessable token in a branch's subscribable iCalendar URL; rotating it revokes old links."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", unique=True)
    token: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser of the web console: the cookie's hash, its CSRF token, and when it was last used.

    Idle sessions expire (bot/web/config.py); "log out everywhere" revokes every session of a member.
    """

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


class WishState(StrEnum):
    """A 微心愿 from posting to confirmed completion (see storage/wishes.py for the transitions)."""

    OPEN = "open"  # places left to claim
    CLAIMED = "claimed"  # every place taken
    DONE = "done"  # every claimant finished; waits for the poster
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ClaimStatus(StrEnum):
    ACTIVE = "active"
    DONE = "done"
    RELEASED = "released"


class CommunityReport(SQLModel, table=True):
    """双报到: a member reporting to the community (社区党委 or a 网格党支部) where they live.

    The home branch (组织关系) stays ``Member.org_id``; a member has at most one open report,
    which the partial unique index holds even against two requests at once.
    """

    __table_args__ = (
        sa.Index(
            "uq_report_open",
            "member_id",
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)  # the community or one of its grids
    skills: str = Field(default="", max_length=200)  # 特长, as the member states them
    started_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    assigned_by: int | None = Field(default=None, foreign_key="member.id")


class Wish(SQLModel, table=True):
    """A resident's 微心愿 posted by community or grid staff; ``taken`` counts active claims."""

    __table_args__ = (sa.Index("ix_wish_state_due", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    title: str = Field(max_length=200)
    resident: str = Field(default="", max_length=50)  # for whom; shown masked to members
    place: str = Field(default="", max_length=200)
    due_at: datetime = Field(sa_type=AwareDateTime)
    places: int = 1
    taken: int = 0
    state: str = Field(default=WishState.OPEN, max_length=12)
    posted_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)


class WishClaim(SQLModel, table=True):
    """One member's place on a wish: active, done (with a note), or released (with a reason)."""

    __table_args__ = (sa.UniqueConstraint("wish_id", "member_id", name="uq_wish_claim"),)

    id: int | None = Field(default=None, primary_key=True)
    wish_id: int = Field(foreign_key="wish.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    status: str = Field(default=ClaimStatus.ACTIVE, max_length=10)
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
    note: str = Field(default="", max_length=500)  # 完成 note, or the reason for 放弃认领
    done_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


class PointEntry(SQLModel, table=True):
    """The append-only points ledger: one row per source event, never an edited total.

    ``(source, source_id, member_id)`` is unique, so crediting the same event twice adds
    nothing; a correction is another row (source "reversal", source_id the row it reverses).
    """

    __table_args__ = (
        sa.UniqueConstraint("source", "source_id", "member_id", name="uq_point_source"),
        sa.Index("ix_point_member_at", "member_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    points: int
    source: str = Field(max_length=20)  # report | attendance | wish | reversal
    source_id: int
    label: str = Field(default="", max_length=200)  # what the member sees in 我的积分
    at: datetime = Field(sa_type=AwareDateTime)  # when the event happened (rankings count by this)
    recorded_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime)
