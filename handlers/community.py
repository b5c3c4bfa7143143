"""双报到 from the chat: 报到 社区, 我的报到, 结束报到, and the community's list of who reported.

Phones in the list go only to the committee of that community, the people who arrange the
service; grid and district staff see names, home branches and skills.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply
from handlers import texts
from handlers.context import HandlerContext
from handlers.permissions import COMMITTEE_ROLES
from handlers.scope import audit, chat_key, managed_org, subtree
from storage import community, conversation
from storage.credits import credit_report
from storage.knowledge.normalize import simplify
from storage.members import by_name
from storage.models import CommunityReport, Member, MemberStatus, Organization

CHOICES_KIND = "report_choices"
CHOICES_TTL = timedelta(minutes=10)
_SKILLS = re.compile(r"\s*特长\s*[:：]?\s*(?P<skills>.*)$", re.DOTALL)


def _since(ctx: HandlerContext, report: CommunityReport) -> str:
    return texts.cn_date(report.started_at.astimezone(SHANGHAI).date())


def report(ctx: HandlerContext) -> list[Reply]:
    """报到 和平社区 [特长：…]: one match reports at once; several are offered by number."""
    member = ctx.asker
    if member is None or member.id is None:
        return [Reply(texts.MEMBERS_ONLY)]
    words = ctx.args
    skills = ""
    if found := _SKILLS.search(words):
        skills, words = found.group("skills").strip(), words[: found.start()]
    if not words.strip():
        return [Reply(texts.REPORT_USAGE)]
    existing = community.open_report(ctx.session, member.id)
    if existing is not None:
        return [Reply(_already(ctx, existing))]
    places = community.find_places(ctx.session, words)
    if not places:
        return [Reply(texts.REPORT_NONE_FOUND.format(words=words.strip()))]
    if len(places) == 1:
        return [Reply(_report_to(ctx, places[0], skills))]
    conversation.put(
        ctx.session,
        key=chat_key(ctx),
        kind=CHOICES_KIND,
        data={"ids": [p.id for p in places[:9]], "skills": skills},
        expires_at=ctx.now + CHOICES_TTL,
    )
    lines = [texts.REPORT_CHOOSE_HEAD]
    lines += [texts.REPORT_CHOOSE_LINE.format(n=n, name=p.name) for n, p in enumerate(places[:9], start=1)]
    return [Reply("\n".join(lines))]


def has_choices(ctx: HandlerContext) -> bool:
    return conversation.get(ctx.session, key=chat_key(ctx), kind=CHOICES_KIND, now=ctx.now) is not None


def pick(ctx: HandlerContext) -> list[Reply]:
    """A bare number after the list of matches."""
    offered = conversation.take(ctx.session, key=chat_key(ctx), kind=CHOICES_KIND, now=ctx.now) or {}
    digits = ctx.text.strip().rstrip(".。、").translate(str.maketrans("一二三四五六七八九", "123456789"))
    ids = list(offered.get("ids", []))
    if not digits.isdigit() or not 1 <= int(digits) <= len(ids):
        return [Reply(texts.KB_PICK_NONE)]
    place = ctx.session.get(Organization, ids[int(digits) - 1])
    if place is None:
        return [Reply(texts.KB_PICK_NONE)]
    return [Reply(_report_to(ctx, place, str(offered.get("skills", ""))))]


def _already(ctx: HandlerContext, existing: CommunityReport) -> str:
    place = ctx.session.get(Organization, existing.org_id)
    return texts.REPORT_ALREADY.format(place=place.name if place else "", since=_since(ctx, existing))


def _report_to(ctx: HandlerContext, place: Organization, skills: str) -> str:
    assert ctx.asker is not None and ctx.asker.id is not None and place.id is not None
    try:
        made = community.start(
            ctx.session, member_id=ctx.asker.id, org_id=place.id, now=ctx.now, skills=skills
        )
    except community.AlreadyReported:
        existing = community.open_report(ctx.session, ctx.asker.id)
        return _already(ctx, existing) if existing else texts.ERROR
    earned = credit_report(ctx.session, ctx.points, made, place)
    audit(ctx, "community_report", place, f"member={ctx.asker.id}")
    done = texts.REPORT_DONE.format(place=place.name)
    return done + (texts.REPORT_DONE_POINTS.format(points=earned) if earned else "")


def my_report(ctx: HandlerContext) -> list[Reply]:
    member = ctx.asker
    if member is None or member.id is None:
        return [Reply(texts.MEMBERS_ONLY)]
    existing = community.open_report(ctx.session, member.id)
    if existing is None:
        return [Reply(texts.REPORT_NOT_YET)]
    place = ctx.session.get(Organization, existing.org_id)
    skills = texts.REPORT_MINE_SKILLS.format(skills=existing.skills) if existing.skills else ""
    return [
        Reply(
            texts.REPORT_MINE.format(
                place=place.name if place else "", since=_since(ctx, existing), skills=skills
            )
        )
    ]


def _staff_community(ctx: HandlerContext) -> Organization | None:
    """The community or grid the asker runs, if any."""
    org = managed_org(ctx)
    return org if org is not None and community.community_of(ctx.session, org) is not None else None


def _named(ctx: HandlerContext, name: str) -> Member | str:
    found = [m for m in by_name(ctx.session, name) if m.status != MemberStatus.TRANSFERRED_OUT]
    if len(found) == 1:
        return found[0]
    if not found:
        return texts.REPORT_MEMBER_NOT_FOUND.format(name=name)
    return texts.REPORT_MEMBER_AMBIGUOUS.format(count=len(found), name=name)


def assign(ctx: HandlerContext) -> list[Reply]:
    """登记报到 姓名 [特长：…]: community staff record a member who reported in person."""
    place = _staff_community(ctx)
    if place is None or place.id is None:
        return [Reply(texts.REPORT_ASSIGN_NOT_ALLOWED if ctx.asker else texts.MEMBERS_ONLY)]
    words = ctx.args
    skills = ""
    if found := _SKILLS.search(words):
        skills, words = found.group("skills").strip(), words[: found.start()]
    if not words.strip():
        return [Reply(texts.REPORT_ASSIGN_USAGE)]
    member = _named(ctx, words.strip())
    if isinstance(member, str):
        return [Reply(member)]
    assert member.id is not None
    try:
        made = community.start(
            ctx.session,
            member_id=member.id,
            org_id=place.id,
            now=ctx.now,
            skills=skills,
            assigned_by=ctx.asker.id if ctx.asker else None,
        )
    except community.AlreadyReported:
        existing = community.open_report(ctx.session, member.id)
        where = ctx.session.get(Organization, existing.org_id) if existing else None
        return [
            Reply(texts.REPORT_ASSIGN_ALREADY.format(name=member.name, place=where.name if where else ""))
        ]
    credit_report(ctx.session, ctx.points, made, place)
    audit(ctx, "community_report_assign", place, f"member={member.id}")
    return [Reply(texts.REPORT_ASSIGNED.format(name=member.name, place=place.name))]


def _end_for(ctx: HandlerContext, name: str) -> list[Reply]:
    """结束报到 姓名: community staff end a report to their community (the member moved away)."""
    place = _staff_community(ctx)
    if place is None:
        return [Reply(texts.REPORT_ASSIGN_NOT_ALLOWED)]
    member = _named(ctx, name)
    if isinstance(member, str):
        return [Reply(member)]
    assert member.id is not None
    existing = community.open_report(ctx.session, member.id)
    if existing is None or existing.org_id not in subtree(ctx.session, place):
        return [Reply(texts.REPORT_NOT_HERE.format(name=member.name))]
    community.end(ctx.session, member_id=member.id, now=ctx.now)
    audit(ctx, "community_report_end", place, f"member={member.id}")
    return [Reply(texts.REPORT_ENDED_BY_STAFF.format(name=member.name, place=place.name))]


def end_report(ctx: HandlerContext) -> list[Reply]:
    """结束报到: the member's own; 结束报到 姓名: by the community's staff."""
    member = ctx.asker
    if member is None or member.id is None:
        return [Reply(texts.MEMBERS_ONLY)]
    if ctx.args:
        return _end_for(ctx, ctx.args)
    ended = community.end(ctx.session, member_id=member.id, now=ctx.now)
    if ended is None:
        return [Reply(texts.REPORT_NOT_YET)]
    place = ctx.session.get(Organization, ended.org_id)
    audit(ctx, "community_report_end", place, f"member={member.id}")
    return [Reply(texts.REPORT_ENDED.format(place=place.name if place else ""))]


def sees_phones(ctx: HandlerContext, place: Organization) -> bool:
    """Only a committee member of the community itself sees reported members' phones."""
    home = community.community_of(ctx.session, place)
    asker = ctx.asker
    return (
        asker is not None and home is not None and asker.org_id == home.id and asker.role in COMMITTEE_ROLES
    )


def roster(ctx: HandlerContext) -> list[Reply]:
    """报到名单: who reported to the community (or grid) the asker runs; 报到统计: counts for districts."""
    org = managed_org(ctx)
    if org is None:
        return [Reply(texts.REPORT_STAFF_ONLY if ctx.asker else texts.MEMBERS_ONLY)]
    ids = subtree(ctx.session, org)
    if "统计" in simplify(ctx.text) or community.community_of(ctx.session, org) is None:
        per_community, per_home = community.counts(ctx.session, ids)
        return [
            Reply(
                texts.REPORT_COUNTS_HEAD.format(
                    count=sum(per_community.values()),
                    communities="、".join(f"{k} {v}" for k, v in per_community.most_common()) or "—",
                    homes="、".join(f"{k} {v}" for k, v in per_home.most_common()) or "—",
                )
            )
        ]
    rows = community.reported_to(ctx.session, ids)
    if not rows:
        return [Reply(texts.REPORT_LIST_NONE.format(place=org.name))]
    phones = sees_phones(ctx, org)
    lines = [texts.REPORT_LIST_HEAD.format(place=org.name, count=len(rows))]
    for row in rows:
        lines.append(
            texts.REPORT_LIST_LINE.format(
                name=row.member.name,
                home=row.home.name,
                skills=f" 特长：{row.report.skills}" if row.report.skills else "",
                phone=f" {row.member.phone}" if phones and row.member.phone else "",
            )
        )
    return [Reply("\n".join(lines))]
