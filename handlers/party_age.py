"""Live answers about the asker: political birthday and 党龄 (docs/domain-rules.md §A3)."""

from __future__ import annotations

from bot.core.messages import Reply
from handlers import texts
from handlers.context import HandlerContext
from storage.rules import next_anniversary, party_standing, probation_end, whole_years


def political_birthday(ctx: HandlerContext) -> list[Reply]:
    member = ctx.asker
    assert member is not None  # the asker's own records (handlers/commands.py)
    nxt = next_anniversary(member.joined_on, ctx.today)
    years = whole_years(member.joined_on, nxt)
    if nxt == ctx.today:
        line = texts.BIRTHDAY_TODAY.format(years=years)
    else:
        line = texts.BIRTHDAY_NEXT.format(next=texts.cn_date(nxt), years=years, days=(nxt - ctx.today).days)
    return [
        Reply(
            texts.POLITICAL_BIRTHDAY.format(
                name=member.name, joined=texts.cn_date(member.joined_on), next_line=line
            )
        )
    ]


def standing(ctx: HandlerContext) -> list[Reply]:
    member = ctx.asker
    assert member is not None  # the asker's own records (handlers/commands.py)
    years = party_standing(member.full_on, ctx.today)
    if years is None or member.full_on is None:
        end = probation_end(member.joined_on)
        return [Reply(texts.PARTY_STANDING_PROBATION.format(name=member.name, end=texts.cn_date(end)))]
    text = texts.PARTY_STANDING.format(name=member.name, full=texts.cn_date(member.full_on), years=years)
    nxt = next_anniversary(member.full_on, ctx.today)
    if nxt != ctx.today:
        text += texts.STANDING_NEXT.format(next=texts.cn_date(nxt), years=whole_years(member.full_on, nxt))
    return [Reply(text)]
