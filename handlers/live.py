"""Live answers computed from the branch's own data: this month's guide, the next meeting, 本月政治生日.

The 组织生活清单 is what storage/guides.py assembles for the asker's branch (the
committees above publish, the branch may add its own items), rendered like the monthly push.
"""

from __future__ import annotations

import re

from sqlmodel import col, select

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply
from handlers import texts
from handlers.context import HandlerContext
from handlers.guide import render
from handlers.meetings import KIND_ALIASES, KIND_PATTERN
from handlers.scope import home_org, subtree
from storage.guides import effective
from storage.meetings import upcoming
from storage.models import Member, MemberStatus, Organization
from storage.rules import anniversary_in

_KIND = re.compile(KIND_PATTERN)


def _branch(ctx: HandlerContext) -> Organization | None:
    return home_org(ctx) or ctx.chat_org


def next_meeting(ctx: HandlerContext) -> list[Reply]:
    """下次支委会/党课/主题党日: the next planned meeting of that kind in the asker's branch."""
    org = _branch(ctx)
    if org is None or org.id is None:
        return [Reply(texts.LIVE_NO_BRANCH)]
    found = _KIND.search(ctx.args)
    kind = KIND_ALIASES[found.group(0)] if found else None
    org_ids = [org.id]  # the branch, and the asker's own 党小组 for 党小组会
    if ctx.asker is not None and ctx.asker.group_id is not None:
        org_ids.append(ctx.asker.group_id)
    meetings = [
        m
        for m in upcoming(ctx.session, org_ids=org_ids, now=ctx.now, limit=50)
        if kind is None or m.kind == kind
    ]
    label = kind.value if kind else "会议"
    if not meetings:
        rule = texts.LIVE_MEETING_RULES.get(label, "")
        return [Reply(texts.LIVE_NO_MEETING.format(org=org.name, kind=label, rule=rule))]
    meeting = meetings[0]
    local = meeting.starts_at.astimezone(SHANGHAI)
    return [
        Reply(
            texts.LIVE_NEXT_MEETING.format(
                org=org.name,
                kind=meeting.kind,
                when=texts.cn_datetime(local.date(), local.strftime("%H:%M")),
                place=texts.LIVE_NEXT_PLACE.format(place=meeting.place) if meeting.place else "",
                topic=texts.LIVE_NEXT_TOPIC.format(topic=meeting.topic) if meeting.topic else "",
            )
        )
    ]


def month_guide(ctx: HandlerContext) -> list[Reply]:
    """本月组织生活清单: the guides that reach the branch this month, as the monthly push shows them."""
    org = _branch(ctx)
    if org is None:
        return [Reply(texts.LIVE_NO_BRANCH)]
    month = ctx.today.strftime("%Y-%m")
    found = effective(ctx.session, branch=org, month=month, now=ctx.now)
    if not found:
        return [Reply(texts.LIVE_GUIDE_NONE.format(month=ctx.today.month))]
    return [render(month, org, found)]


def month_birthdays(ctx: HandlerContext) -> list[Reply]:
    """本月政治生日: members of the asker's organization whose 入党 anniversary falls this month."""
    org = ctx.org
    assert org is not None  # a managers' command (handlers/commands.py): names and dates of members
    month = ctx.today.month
    members = ctx.session.exec(
        select(Member).where(
            col(Member.org_id).in_(subtree(ctx.session, org)),
            Member.join_month == month,
            Member.status != MemberStatus.TRANSFERRED_OUT,
        )
    ).all()
    if not members:
        return [Reply(texts.LIVE_BIRTHDAYS_NONE.format(org=org.name, month=month))]
    rows = sorted(members, key=lambda m: (anniversary_in(ctx.today.year, m.joined_on), m.name))
    lines = [texts.LIVE_BIRTHDAYS_HEAD.format(org=org.name, month=month, count=len(rows))]
    for m in rows:
        day = anniversary_in(ctx.today.year, m.joined_on)
        lines.append(
            texts.LIVE_BIRTHDAYS_LINE.format(
                name=m.name, month=day.month, day=day.day, years=ctx.today.year - m.joined_on.year
            )
        )
    return [Reply("\n".join(lines))]
