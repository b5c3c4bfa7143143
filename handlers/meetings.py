"""Meetings from chat: 安排, 改期, 取消 and 本月安排.

Creating the Meeting row is enough for reminders: the reminder job reads meetings.
Moves and cancellations go through handlers.reminders so people already reminded
hear about the change.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply
from handlers import texts, when
from handlers.ask import answer
from handlers.context import HandlerContext
from handlers.reminders import cancel_and_notify, move_and_notify
from handlers.scope import audit, chat_key, home_org, managed_org, subtree
from storage import conversation
from storage.knowledge.normalize import simplify
from storage.meetings import create_meeting, upcoming
from storage.models import Meeting, MeetingKind, MeetingStatus, Organization

KIND_ALIASES = {
    "支部党员大会": MeetingKind.GENERAL_ASSEMBLY,
    "党员大会": MeetingKind.GENERAL_ASSEMBLY,
    "支部大会": MeetingKind.GENERAL_ASSEMBLY,
    "支委会": MeetingKind.COMMITTEE,
    "支部委员会": MeetingKind.COMMITTEE,
    "支委会议": MeetingKind.COMMITTEE,
    "党小组会": MeetingKind.GROUP,
    "小组会": MeetingKind.GROUP,
    "党课": MeetingKind.LECTURE,
    "主题党日": MeetingKind.THEME_DAY,
    "组织生活会": MeetingKind.LIFE_MEETING,
    "民主评议党员": MeetingKind.APPRAISAL,
    "民主评议": MeetingKind.APPRAISAL,
}
KIND_PATTERN = "|".join(sorted(map(re.escape, KIND_ALIASES), key=len, reverse=True))  # longest first
_KIND = re.compile(KIND_PATTERN)
_TOPIC = re.compile(r"(?:主题|议题|内容)\s*[:：]?\s*")
_DRAFT = "meeting_draft"
DRAFT_TTL = timedelta(minutes=10)
_MOVE_TO = re.compile(r"\s*(?:改到|改为|改至|改在|推迟到|延期到|提前到)\s*|\s+到\s+")


def _kind_in(text: str) -> tuple[MeetingKind | None, str]:
    found = _KIND.search(text)
    if not found:
        return None, text
    return KIND_ALIASES[found.group(0)], (text[: found.start()] + " " + text[found.end() :]).strip()


def _display(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return texts.cn_datetime(local.date(), local.strftime("%H:%M"))


def _moment(
    found: when.When | when.Unclear | None, ctx: HandlerContext
) -> tuple[datetime, datetime | None] | Reply:
    if found is None:
        return Reply(texts.WHEN_MISSING)
    if isinstance(found, when.Unclear):
        return Reply(when.question(found, ctx.today))
    start = found.starts_at(ctx.now.tzinfo)
    if start is None:
        return Reply(texts.WHEN_NEEDS_CLOCK.format(day=texts.cn_date(found.day)))
    return start, found.ends_at(ctx.now.tzinfo)


def _ask_back(
    ctx: HandlerContext,
    question: Reply,
    found: when.When | when.Unclear | None,
    *,
    verb: str,
    prefix: str,
    body: str,
) -> Reply:
    """Remember the unfinished 安排/改期 for a few minutes so a bare "下午" or "下周一" completes it."""
    if found is None or (isinstance(found, when.Unclear) and found.problem is when.Problem.INVALID):
        return question
    data = {"verb": verb, "prefix": prefix, "body": body}
    conversation.put(ctx.session, key=chat_key(ctx), kind=_DRAFT, data=data, expires_at=ctx.now + DRAFT_TTL)
    return Reply(question.text + "\n" + texts.WHEN_REPLY_HINT)


def clarify(ctx: HandlerContext) -> list[Reply]:
    """A reply that is only a date or time: finishes the pending 安排/改期, else it is just a question."""
    key = chat_key(ctx)
    draft = conversation.get(ctx.session, key=key, kind=_DRAFT, now=ctx.now)
    amended = when.amend(draft["body"], ctx.args) if draft and when.is_answer(ctx.args) else None
    if draft is None or amended is None:
        return answer(ctx)
    conversation.drop(ctx.session, key=key, kind=_DRAFT)
    org = managed_org(ctx)
    if org is None:  # no longer a manager since the question was asked
        return [Reply(texts.NOT_ALLOWED)]
    retyped = replace(ctx, org=org, args=simplify(f"{draft['prefix']}{amended}"))
    return (schedule if draft["verb"] == "安排" else move)(retyped)


def schedule(ctx: HandlerContext) -> list[Reply]:
    """安排 支委会 12月5日 15:00 三楼会议室 主题：学习全会精神."""
    org = ctx.org
    assert org is not None  # a managers' command (handlers/commands.py)
    body = ctx.args
    kind, rest = _kind_in(body)
    if kind is None:
        return [Reply(texts.MEETING_USAGE)]
    found, rest = when.find(rest, ctx.now)
    moment = _moment(found, ctx)
    if isinstance(moment, Reply):
        return [_ask_back(ctx, moment, found, verb="安排", prefix="", body=body)]
    starts_at, ends_at = moment
    return [_create(ctx, org, kind, starts_at, ends_at, rest)]


_VERBS = "召开|举行|举办|开展|组织|开|上|讲"
_NATURAL_KIND = re.compile(rf"(?:{_VERBS})?(?:一次|一个|个)?(?:{KIND_PATTERN})(?:会议)?")
_PLACE = re.compile(rf"在(?P<place>[^\s，,。；;！!]+?)(?=(?:{_VERBS})|[\s，,。；;！!]|$)")


def natural(ctx: HandlerContext) -> list[Reply]:
    """下周三下午三点在党员活动室开支委会: 安排 said as a sentence, for those who may 安排.

    The kind, the time and a place after 在 (and a topic after 主题：) are taken out and
    handed to ``schedule`` as a 安排 line, so questions back and the reply are the same.
    """
    org = managed_org(ctx)
    if org is None:
        return [Reply(texts.MEETING_NATURAL_NOT_ALLOWED)] if ctx.asker else answer(ctx)
    kind, _ = _kind_in(ctx.args)
    if kind is None:
        return answer(ctx)
    head, *topic = _TOPIC.split(_NATURAL_KIND.sub(" ", ctx.args, count=1), maxsplit=1)  # 主题党日 is no topic
    moment = when.expression(head)
    place = _PLACE.search(head.replace(moment, " ", 1))
    line = " ".join([kind.value, moment, place.group("place") if place else ""])
    line += f" 主题：{topic[0].strip()}" if topic else ""
    return schedule(replace(ctx, org=org, args=line))


def arrange(
    session: Session,
    *,
    org: Organization,
    kind: MeetingKind,
    starts_at: datetime,
    ends_at: datetime | None,
    place: str,
    topic: str,
    by: int | None,
) -> Meeting | str:
    """A new planned meeting, or why not (the same kind at the same time is already planned).

    The chat's 安排 and the console's form both come here; the reminder job does the rest.
    """
    same = session.exec(
        select(Meeting).where(
            Meeting.org_id == org.id,
            Meeting.kind == kind.value,
            Meeting.starts_at == starts_at,
            Meeting.status == MeetingStatus.PLANNED,
        )
    ).first()
    if same is not None:
        return texts.MEETING_DUPLICATE.format(when=_display(starts_at), kind=kind.value)
    assert org.id is not None
    return create_meeting(
        session,
        org_id=org.id,
        kind=kind.value,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        topic=topic,
        created_by=by,
    )


def _create(
    ctx: HandlerContext,
    org: Organization,
    kind: MeetingKind,
    starts_at: datetime,
    ends_at: datetime | None,
    rest: str,
) -> Reply:
    pieces = _TOPIC.split(rest, maxsplit=1)
    place = pieces[0].strip()
    topic = pieces[1].strip() if len(pieces) > 1 else ""
    by = ctx.asker.id if ctx.asker else None
    meeting = arrange(
        ctx.session, org=org, kind=kind, starts_at=starts_at, ends_at=ends_at, place=place, topic=topic, by=by
    )
    if isinstance(meeting, str):
        return Reply(meeting)
    audit(ctx, "meeting_create", org, f"meeting={meeting.id} {kind.value} {logged(starts_at)}")
    return Reply(
        texts.MEETING_CREATED.format(
            kind=kind.value,
            when=_display(starts_at) + (f"—{ends_at.astimezone(SHANGHAI):%H:%M}" if ends_at else ""),
            place=place or texts.MEETING_PLACE_TBD,
            topic=topic or texts.MEETING_TOPIC_TBD,
        )
    )


def _local_day(meeting: Meeting) -> date:
    return meeting.starts_at.astimezone(SHANGHAI).date()


def _pick(ctx: HandlerContext, org: Organization, verb: str, text: str) -> Meeting | Reply:
    """The meeting a 改期/取消 message means: the next one of the kind named, on the day named if any."""
    kind, rest = _kind_in(text)
    day_given = when.find(rest, ctx.now)[0] if rest else None
    candidates = [
        m
        for m in upcoming(ctx.session, org_ids=subtree(ctx.session, org), now=ctx.now, limit=50)
        if kind is None or m.kind == kind.value
    ]
    if isinstance(day_given, when.When):
        candidates = [m for m in candidates if _local_day(m) == day_given.day]
    if not candidates:
        return Reply(texts.MEETING_NONE_UPCOMING.format(kind=kind.value if kind else texts.MEETING_GENERIC))
    if len(candidates) > 1 and kind is None:
        return _which(candidates, verb)
    return candidates[0]


def logged(moment: datetime) -> str:
    """Times in audit details read like the audit's own time column: Shanghai wall time, no zone suffix."""
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def _which(candidates: list[Meeting], verb: str) -> Reply:
    """Ask which of the upcoming meetings is meant, with a filled-in example."""
    options = "、".join(f"{texts.cn_date(_local_day(m))}{m.kind}" for m in candidates[:5])
    first = _local_day(candidates[0])
    example = texts.MEETING_EXAMPLE.format(kind=candidates[0].kind, month=first.month, day=first.day)
    if len(candidates) == 1:
        return Reply(texts.MEETING_WHICH_ONE.format(verb=verb, option=options, example=example))
    count = len(candidates)
    return Reply(texts.MEETING_WHICH.format(count=count, options=options, verb=verb, example=example))


def move(ctx: HandlerContext) -> list[Reply]:
    """改期 支委会 [12月5日] 改到 12月8日 15:00 [新地点]."""
    org = ctx.org
    assert org is not None  # a managers' command (handlers/commands.py)
    body = ctx.args
    if not body:
        return [Reply(texts.MOVE_USAGE)]
    halves = _MOVE_TO.split(body, maxsplit=1)
    which, new_text = (halves[0], halves[1]) if len(halves) == 2 else _split_kind(halves[0])
    meeting = _pick(ctx, org, "改期", which)
    if isinstance(meeting, Reply):
        return [meeting]
    found, place = when.find(new_text, ctx.now)
    if isinstance(found, when.When) and found.start is None:  # only a new day: keep the time of day
        old = meeting.starts_at.astimezone(SHANGHAI)
        found = when.When(found.day, old.time().replace(tzinfo=None))
        if found.starts_at(SHANGHAI) <= ctx.now:  # type: ignore[operator]
            found = when.Unclear(when.Problem.PAST, day=found.day)
    moment = _moment(found, ctx)
    if isinstance(moment, Reply):
        return [_ask_back(ctx, moment, found, verb="改期", prefix=f"{which} 改到 ", body=new_text)]
    old_start = meeting.starts_at
    assert meeting.id is not None
    change, count = move_and_notify(
        ctx.session, meeting_id=meeting.id, starts_at=moment[0], now=ctx.now, place=place.strip() or None
    )
    audit(ctx, "meeting_move", org, f"meeting={meeting.id} {logged(old_start)} -> {logged(moment[0])}")
    return [
        Reply(
            texts.MEETING_MOVED_OK.format(
                kind=meeting.kind,
                old=_display(old_start),
                new=_display(change.meeting.starts_at),
                notified=notified(count),
            )
        )
    ]


def _split_kind(text: str) -> tuple[str, str]:
    """Without 改到: "支委会 12月8日 15:00" names the kind, and the time is the new one."""
    kind, rest = _kind_in(text)
    return (kind.value if kind else ""), rest


def notified(count: int) -> str:
    return texts.NOTIFIED_SOME.format(count=count) if count else texts.NOTIFIED_NONE


def cancel(ctx: HandlerContext) -> list[Reply]:
    """取消 支委会 [12月5日]."""
    org = ctx.org
    assert org is not None  # a managers' command (handlers/commands.py)
    body = ctx.args
    if not body:  # never cancel on a bare word: ask which, even when only one is coming
        coming = upcoming(ctx.session, org_ids=subtree(ctx.session, org), now=ctx.now, limit=50)
        if not coming:
            return [Reply(texts.MEETING_NONE_UPCOMING.format(kind=texts.MEETING_GENERIC))]
        return [_which(coming, "取消")]
    meeting = _pick(ctx, org, "取消", body)
    if isinstance(meeting, Reply):
        return [meeting]
    assert meeting.id is not None
    _, count = cancel_and_notify(ctx.session, meeting_id=meeting.id, now=ctx.now)
    audit(ctx, "meeting_cancel", org, f"meeting={meeting.id} {meeting.kind} {logged(meeting.starts_at)}")
    return [
        Reply(
            texts.MEETING_CANCELLED_OK.format(
                when=_display(meeting.starts_at), kind=meeting.kind, notified=notified(count)
            )
        )
    ]


def month_plan(ctx: HandlerContext) -> list[Reply]:
    """本月安排: the branch's meetings this month, cancelled ones marked."""
    org = ctx.chat_org or home_org(ctx)
    if org is None or org.id is None:
        return [Reply(texts.LIVE_NO_BRANCH)]
    first = ctx.today.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    meetings = meetings_between(ctx, org, first, after)
    if not meetings:
        return [Reply(texts.MONTH_PLAN_EMPTY.format(org=org.name, month=first.month))]
    lines = [texts.MONTH_PLAN_HEAD.format(org=org.name, month=first.month)]
    for m in meetings:
        place = f"（{m.place}）" if m.place else ""
        status = texts.MEETING_STATUS_CANCELLED if m.status == MeetingStatus.CANCELLED else ""
        lines.append(
            texts.MONTH_PLAN_LINE.format(when=_display(m.starts_at), kind=m.kind, place=place, status=status)
        )
    return [Reply("\n".join(lines))]


def meetings_between(ctx: HandlerContext, org: Organization, first: date, after: date) -> list[Meeting]:
    org_ids = subtree(ctx.session, org)
    start = datetime.combine(first, datetime.min.time(), SHANGHAI)
    end = datetime.combine(after, datetime.min.time(), SHANGHAI)
    query = (
        select(Meeting)
        .where(col(Meeting.org_id).in_(org_ids), Meeting.starts_at >= start, Meeting.starts_at < end)
        .order_by(col(Meeting.starts_at))
    )
    return list(ctx.session.exec(query))
