"""我的积分 and 积分排名: the points ledger as members and secretaries read it.

The ledger follows the member, not the branch, so a transfer keeps the history; a ranking counts
who is in the branch (or reported to the community) now.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply
from handlers import texts
from handlers.context import HandlerContext
from handlers.scope import home_org, managed_org, subtree
from storage import community, points
from storage.audience import active_members
from storage.models import Organization


def year_span(now: datetime) -> tuple[datetime, datetime]:
    start = datetime(now.astimezone(SHANGHAI).year, 1, 1, tzinfo=SHANGHAI)
    return start, start.replace(year=start.year + 1)


def month_span(now: datetime) -> tuple[datetime, datetime]:
    local = now.astimezone(SHANGHAI)
    start = datetime(local.year, local.month, 1, tzinfo=SHANGHAI)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def mine(ctx: HandlerContext) -> list[Reply]:
    """我的积分: this year's total, by source, and the latest entries."""
    member = ctx.asker
    if member is None or member.id is None:
        return [Reply(texts.MEMBERS_ONLY)]
    start, end = year_span(ctx.now)
    lines = points.by_source(ctx.session, member_id=member.id, start=start, end=end)
    if not lines:
        return [Reply(texts.POINTS_MINE_NONE.format(name=member.name, year=start.year))]
    out = [
        texts.POINTS_MINE_HEAD.format(name=member.name, year=start.year, total=sum(p for _, _, p in lines))
    ]
    out += [
        texts.POINTS_MINE_LINE.format(label=texts.POINTS_SOURCES.get(s, s), count=n, points=p)
        for s, n, p in lines
    ]
    out.append(texts.POINTS_MINE_RECENT)
    for entry in points.ledger(ctx.session, member_id=member.id, start=start, end=end, limit=5):
        day = entry.at.astimezone(SHANGHAI)
        out.append(texts.POINTS_MINE_ENTRY.format(day=f"{day:%m-%d}", label=entry.label, points=entry.points))
    return [Reply("\n".join(out))]


def people_of(session: Session, org: Organization) -> list[int]:
    """Whom a ranking of ``org`` covers: members at home below it, and members reported to it."""
    ids = subtree(session, org)
    home = [m.id for i in ids for m in active_members(session, org_id=i) if m.id is not None]
    reported = [r.member.id for r in community.reported_to(session, ids) if r.member.id is not None]
    return list(dict.fromkeys(home + reported))


def ranking(ctx: HandlerContext) -> list[Reply]:
    """积分排名 [本月]: the branch or community the asker manages (members only if the district allows)."""
    org = managed_org(ctx)
    if org is None and ctx.asker is not None and ctx.points.members_see_ranking:
        org = home_org(ctx)
    if org is None:
        return [Reply(texts.POINTS_RANKING_NOT_ALLOWED if ctx.asker else texts.MEMBERS_ONLY)]
    monthly = "本月" in ctx.args
    start, end = month_span(ctx.now) if monthly else year_span(ctx.now)
    standings = points.ranking(ctx.session, member_ids=people_of(ctx.session, org), start=start, end=end)
    if not standings:
        return [Reply(texts.POINTS_RANKING_NONE.format(org=org.name))]
    period = f"{start.month}月" if monthly else f"{start.year}年"
    scored = [s for s in standings if s.points != 0]
    out = [texts.POINTS_RANKING_HEAD.format(org=org.name, period=period)]
    out += [
        texts.POINTS_RANKING_LINE.format(n=n, name=s.member.name, points=s.points)
        for n, s in enumerate(scored[:20], start=1)
    ]
    if len(standings) > len(scored):
        out.append(texts.POINTS_RANKING_ZERO.format(count=len(standings) - len(scored), period=period))
    return [Reply("\n".join(out))]
