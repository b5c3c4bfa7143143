"""政治生日 greetings, the secretary's monthly digest and the 光荣在党50年 notice (docs/domain-rules.md §A3).

The political birthday is the 入党 anniversary (29 February → 28 February in common
years); 党龄 counts from 转正. Groups get one greeting per branch per day, members
one private greeting each, secretaries one digest per month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply, Target
from handlers import texts
from handlers.outbound import queue_all
from handlers.quiet import QuietHours
from storage import anniversaries, audience
from storage.anniversaries import Celebrant
from storage.models import Organization
from storage.rules import GLORY_YEARS, anniversary_in, whole_years

GREETING_KIND = "birthday"
DIGEST_KIND = "birthday_digest"
GLORY_KIND = "glory50"


def _by_branch(members: Sequence[Celebrant]) -> dict[int, list[Celebrant]]:
    grouped: dict[int, list[Celebrant]] = defaultdict(list)
    for member in members:
        grouped[member.org_id].append(member)
    return grouped


def _chats_by_org(session: Session, org_ids: Sequence[int]) -> dict[int, list[Target]]:
    chats: dict[int, list[Target]] = defaultdict(list)
    for b in audience.chat_bindings(session, org_ids):
        chats[b.org_id].append(
            Target(channel=b.channel, account=b.account, chat_id=b.chat_id, is_group=b.is_group)
        )
    return chats


def _mark(years: int) -> str:
    return texts.BIRTHDAY_MILESTONE if years % 10 == 0 else ""


def queue_day(session: Session, *, day: date, now: datetime, quiet: QuietHours) -> int:
    """Greet everyone whose political birthday is ``day``: their branch's groups and themselves."""
    members = anniversaries.celebrating_on(session, day)
    if not members:
        return 0
    day_word = (
        texts.BIRTHDAY_TODAY_WORD
        if day == now.astimezone(SHANGHAI).date()
        else texts.BIRTHDAY_DAY_WORD.format(month=day.month, day=day.day)
    )
    not_before = quiet.release(now)
    grouped = _by_branch(members)
    chats = _chats_by_org(session, list(grouped))
    private = audience.identities_of(session, [m.id for m in members])
    queued = 0
    for branch_id, people in grouped.items():
        lines = [
            texts.BIRTHDAY_LINE.format(name=m.name, years=(y := whole_years(m.joined_on, day)), mark=_mark(y))
            for m in people
        ]
        fields = {
            "day_word": day_word,
            "names": "、".join(f"{m.name}同志" for m in people),
            "lines": "\n".join(lines),
        }
        reply = Reply(
            texts.BIRTHDAY_GROUP.format(**fields), markdown=texts.BIRTHDAY_GROUP_MD.format(**fields)
        )
        queued += queue_all(
            session,
            targets=chats.get(branch_id, []),
            reply=reply,
            key_parts=(GREETING_KIND, day.isoformat(), branch_id),
            kind=GREETING_KIND,
            not_before=not_before,
            org_id=branch_id,
        )
        for m in people:
            years = whole_years(m.joined_on, day)
            note = Reply(
                texts.BIRTHDAY_PRIVATE.format(name=m.name, day_word=day_word, years=years, mark=_mark(years))
            )
            queued += queue_all(
                session,
                targets=private.get(m.id, []),
                reply=note,
                key_parts=(GREETING_KIND, day.isoformat(), f"m{m.id}"),
                kind=GREETING_KIND,
                not_before=not_before,
                org_id=branch_id,
            )
    return queued


def queue_month_digest(session: Session, *, year: int, month: int, now: datetime, quiet: QuietHours) -> int:
    """Tell each branch's secretaries whose political birthdays fall this month, for the 主题党日."""
    queued = 0
    for branch_id, people in _by_branch(anniversaries.celebrating_in_month(session, year, month)).items():
        lines = []
        for m in people:
            day = anniversary_in(year, m.joined_on)
            years = whole_years(m.joined_on, day)
            lines.append(
                texts.BIRTHDAY_DIGEST_LINE.format(
                    name=m.name, month=month, day=day.day, years=years, mark=_mark(years)
                )
            )
        reply = Reply(
            texts.BIRTHDAY_DIGEST.format(
                branch=_name(session, branch_id), month=month, count=len(people), lines="\n".join(lines)
            )
        )
        queued += queue_all(
            session,
            targets=audience.secretaries(session, branch_id),
            reply=reply,
            key_parts=(DIGEST_KIND, f"{year}-{month:02d}", branch_id),
            kind=DIGEST_KIND,
            not_before=quiet.release(now),
            org_id=branch_id,
        )
    return queued


def queue_glory(session: Session, *, year: int, now: datetime, quiet: QuietHours) -> int:
    """Members whose 党龄 reaches 50 between last 七一 and this 七一 → their secretaries, once a year."""
    reaching = anniversaries.reaching_standing(
        session, years=GLORY_YEARS, since=date(year - 1, 7, 1), until=date(year, 7, 1)
    )
    queued = 0
    for branch_id, people in _by_branch(reaching).items():
        lines = [
            texts.GLORY_50_LINE.format(name=m.name, full=texts.cn_date(m.full_on))
            for m in people
            if m.full_on
        ]
        reply = Reply(
            texts.GLORY_50.format(branch=_name(session, branch_id), year=year, lines="\n".join(lines))
        )
        queued += queue_all(
            session,
            targets=audience.secretaries(session, branch_id),
            reply=reply,
            key_parts=(GLORY_KIND, year, branch_id),
            kind=GLORY_KIND,
            not_before=quiet.release(now),
            org_id=branch_id,
        )
    return queued


def _name(session: Session, org_id: int) -> str:
    org = session.get(Organization, org_id)
    return org.name if org else ""
