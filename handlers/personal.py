"""Questions about the asker and the asker's branch, answered from the roster and the meetings on file.

"我入党几年了", "我预备期啥时候满", "支部书记是谁", "这周有啥活动", "我今年缺席了几次": the
knowledge base only knows the rule, the records know the answer. The rule follows as a second line
where one applies (docs/domain-rules.md §A1, §A3, §A4).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlmodel import col, select

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply
from handlers import texts
from handlers.context import HandlerContext
from handlers.meetings import KIND_ALIASES, KIND_PATTERN
from handlers.scope import home_org
from storage.attendance import meetings_of
from storage.members import in_org
from storage.models import Attendance, AttendanceStatus, Meeting, MemberStatus, Organization, Role
from storage.rules import add_months, party_standing, probation_end, whole_years

_COMMITTEE = (
    Role.SECRETARY,
    Role.DEPUTY_SECRETARY,
    Role.ORGANIZATION,
    Role.PUBLICITY,
    Role.DISCIPLINE,
    Role.COMMITTEE,
)
JOINED = re.compile(r"^.*我.{0,3}入党(?:有|已经|都)?(?:几年|多少年|多久|多长时间)")
PROBATION = re.compile(
    r"^.*我.{0,6}(?:(?:预备期|转正).{0,8}(?:什么时候|啥时候|何时|哪天|几号|多久|还有|满|到期)"
    r"|(?:什么时候|啥时候|何时|哪天).{0,4}转正)"
)
_ROLE_WORDS = {
    "副书记": (Role.DEPUTY_SECRETARY,),
    "书记": (Role.SECRETARY,),
    "支书": (Role.SECRETARY,),
    "组织委员": (Role.ORGANIZATION,),
    "宣传委员": (Role.PUBLICITY,),
    "纪检委员": (Role.DISCIPLINE,),
    "党小组长": (Role.GROUP_LEADER,),
    "支委": _COMMITTEE,
}
_ROLE = "|".join(sorted(_ROLE_WORDS, key=len, reverse=True))
_WHO_ASKED = "是谁|叫啥|叫什么|是哪位|都有谁|有哪些人"
WHO = re.compile(rf"^.*(?:谁是.{{0,6}}({_ROLE})|({_ROLE})(?!会).{{0,4}}(?:{_WHO_ASKED})(?![选定产批任]))")
_THIS_WEEK = r"这周|本周|这星期|这个星期|这礼拜|这个礼拜"
_NEXT_WEEK = r"下周|下个?星期|下个?礼拜|下一周"
WEEK = re.compile(rf"^.*({_THIS_WEEK}|{_NEXT_WEEK}).{{0,8}}(?:会|活动|安排|党日|党课)")
ATTENDANCE = re.compile(
    r"^.*我.{0,8}(?:参加|出席|缺席|缺勤|请假|出勤|到会|签到).{0,10}(?:几次|多少次|几回|情况|记录)"
)


def joined(ctx: HandlerContext) -> list[Reply]:
    """入党几年: years since the 支部大会 admitted the asker, and the 党龄 (from 转正)."""
    member = ctx.asker
    assert member is not None  # the asker's own records (handlers/commands.py)
    lines = [
        texts.MY_JOINED.format(
            name=member.name,
            joined=texts.cn_date(member.joined_on),
            years=whole_years(member.joined_on, ctx.today),
        )
    ]
    years = party_standing(member.full_on, ctx.today)
    if years is None or member.full_on is None:
        lines.append(texts.MY_JOINED_PROBATION.format(end=texts.cn_date(probation_end(member.joined_on))))
    else:
        lines.append(texts.MY_JOINED_FULL.format(full=texts.cn_date(member.full_on), years=years))
    return [Reply("".join(lines))]


def probation(ctx: HandlerContext) -> list[Reply]:
    """预备期满 and the 转正 steps with the asker's own dates; a full member hears when they converted."""
    member = ctx.asker
    assert member is not None  # the asker's own records (handlers/commands.py)
    joined_on = texts.cn_date(member.joined_on)
    if member.status != MemberStatus.PROBATIONARY and member.full_on is not None:
        full = texts.cn_date(member.full_on)
        return [Reply(texts.MY_CONVERTED.format(name=member.name, joined=joined_on, full=full))]
    end = probation_end(member.joined_on)
    if end < ctx.today:
        return [Reply(texts.MY_PROBATION_OVER.format(name=member.name, end=texts.cn_date(end)))]
    return [
        Reply(
            texts.MY_PROBATION.format(
                name=member.name,
                joined=joined_on,
                end=texts.cn_date(end),
                days=(end - ctx.today).days,
                apply=texts.cn_date(add_months(end, -1)),
            )
        )
    ]


def _branch(ctx: HandlerContext) -> Organization | None:
    return home_org(ctx) or ctx.chat_org


def who(ctx: HandlerContext) -> list[Reply]:
    """谁是书记 / 组织委员是谁: from the branch's roster, with the whole committee after it."""
    org = _branch(ctx)
    found = WHO.match(ctx.args)
    if org is None or org.id is None or found is None:
        return [Reply(texts.LIVE_NO_BRANCH)]
    word = found.group(1) or found.group(2)
    roles = _ROLE_WORDS[word]
    people = [m for m in in_org(ctx.session, org.id) if m.role in (*_COMMITTEE, Role.GROUP_LEADER)]
    named = [m.name for m in people if m.role in roles]
    if not named:
        return [Reply(texts.ROSTER_NONE.format(org=org.name, role=word))]
    lines = [texts.ROSTER_ROLE.format(org=org.name, role=word, names="、".join(named))]
    committee = [f"{m.role} {m.name}" for m in people if m.role in _COMMITTEE]
    if len(committee) > 1:
        lines.append(texts.ROSTER_COMMITTEE.format(people="，".join(committee)))
    return [Reply("\n".join(lines))]


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"


def week(ctx: HandlerContext) -> list[Reply]:
    """这周 / 下周有什么会: the branch's (and the asker's 党小组's) meetings in that calendar week."""
    org = _branch(ctx)
    found = WEEK.match(ctx.args)
    if org is None or org.id is None or found is None:
        return [Reply(texts.LIVE_NO_BRANCH)]
    nxt = re.fullmatch(_NEXT_WEEK, found.group(1)) is not None
    monday = ctx.today - timedelta(days=ctx.today.weekday()) + timedelta(weeks=int(nxt))
    start = datetime.combine(monday, time(0), tzinfo=SHANGHAI)
    org_ids = [org.id] + ([ctx.asker.group_id] if ctx.asker is not None and ctx.asker.group_id else [])
    kind_word = re.search(KIND_PATTERN, ctx.args)
    kind = KIND_ALIASES[kind_word.group(0)] if kind_word else None
    held = meetings_of(ctx.session, org_ids=org_ids, start=start, end=start + timedelta(weeks=1))
    meetings = [m for m in held if kind is None or m.kind == kind]
    label = "下周" if nxt else "本周"
    span = {"org": org.name, "label": label, "start": _md(monday), "end": _md(monday + timedelta(days=6))}
    if not meetings:
        return [Reply(texts.WEEK_NONE.format(**span, kind=kind or "会议") + "\n" + texts.WEEK_RULE)]
    lines = [texts.WEEK_HEAD.format(**span)]
    for m in meetings:
        local = m.starts_at.astimezone(SHANGHAI)
        place = texts.LIVE_NEXT_PLACE.format(place=m.place) if m.place else ""
        when = f"{_md(local.date())}（周{texts.WEEKDAYS[local.weekday()]}）{local:%H:%M}"
        lines.append(texts.WEEK_LINE.format(when=when, kind=m.kind, place=place))
    return [Reply("\n".join(lines))]


def attendance(ctx: HandlerContext) -> list[Reply]:
    """我今年参加/缺席了几次: the asker's attendance records of this year's meetings."""
    member = ctx.asker
    assert member is not None  # the asker's own records (handlers/commands.py)
    year_start = datetime(ctx.today.year, 1, 1, tzinfo=SHANGHAI)
    rows = ctx.session.exec(
        select(Attendance.status)
        .join(Meeting, col(Meeting.id) == Attendance.meeting_id)
        .where(
            Attendance.member_id == member.id, Meeting.starts_at >= year_start, Meeting.starts_at <= ctx.now
        )
    ).all()
    count = {status: sum(r == status for r in rows) for status in AttendanceStatus}
    text = texts.MY_ATTENDANCE.format(
        name=member.name,
        year=ctx.today.year,
        present=count[AttendanceStatus.PRESENT],
        leave=count[AttendanceStatus.LEAVE],
        absent=count[AttendanceStatus.ABSENT],
    )
    return [Reply(text + "\n" + texts.MY_ATTENDANCE_RULE)]
