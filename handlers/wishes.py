"""微心愿 from the chat and the schedules: post, list, claim, release, finish, confirm, cancel, remind.

"居民点单、社区下单、党员接单": community or grid staff post; the wish goes to the members who
reported to that community (privately) and to the community's group chats, all through the
outbox with one dedupe key per wish and recipient. Functions below take plain arguments so a
console page or the CLI can call them without a chat.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, time

from sqlmodel import Session

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply, Target
from handlers import texts, when
from handlers.context import HandlerContext
from handlers.outbound import queue_all
from handlers.quiet import QuietHours
from handlers.scope import audit, managed_org, may_manage, subtree
from storage import audience, community, wishes
from storage.credits import credit_wish
from storage.models import Member, Organization, Wish, WishState
from storage.point_rules import PointsRules
from storage.wishes import Refused

WISH_KIND = "wish"
END_OF_DAY = time(23, 59)
_FIELDS = re.compile(r"(对象|地点|截止|人数)\s*[:：]\s*")


def due_text(wish: Wish) -> str:
    local = wish.due_at.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日{'' if local.time() == END_OF_DAY else f' {local:%H:%M}'}"


def community_ids_of(session: Session, org: Organization) -> list[int]:
    home = community.community_of(session, org)
    return community.community_ids(session, home) if home else []


def audience_of(session: Session, wish: Wish) -> list[Target]:
    """Members reported to the wish's community (private chats), then the community's group chats."""
    org = session.get(Organization, wish.org_id)
    ids = community_ids_of(session, org) if org else []
    members = [r.member for r in community.reported_to(session, ids)]
    return list(dict.fromkeys(audience.private_targets(session, members) + audience.chats_of(session, ids)))


def notice(wish: Wish) -> str:
    whom = texts.WISH_NOTICE_WHOM.format(resident=wishes.mask(wish.resident)) if wish.resident else ""
    place = texts.WISH_NOTICE_PLACE.format(place=wish.place) if wish.place else ""
    return texts.WISH_NOTICE.format(
        id=wish.id, title=wish.title, whom=whom, place=place, due=due_text(wish), places=wish.places
    )


def announce(session: Session, wish: Wish, *, now: datetime) -> int:
    """Queue the new wish to its audience; how many chats (re-announcing adds none)."""
    targets = audience_of(session, wish)
    queue_all(
        session,
        targets=targets,
        reply=Reply(notice(wish)),
        key_parts=(WISH_KIND, wish.id, "new"),
        kind=WISH_KIND,
        not_before=now,
        org_id=wish.org_id,
    )
    return len(targets)


def _tell(
    session: Session,
    members: Sequence[Member],
    text: str,
    key: Sequence[object],
    *,
    now: datetime,
    org_id: int | None = None,
) -> int:
    targets = audience.private_targets(session, list(members))
    return queue_all(
        session,
        targets=targets,
        reply=Reply(text),
        key_parts=key,
        kind=WISH_KIND,
        not_before=now,
        org_id=org_id,
    )


def _poster(session: Session, wish: Wish) -> list[Member]:
    poster = session.get(Member, wish.posted_by) if wish.posted_by else None
    return [poster] if poster else []


def parse(text: str, now: datetime) -> tuple[str, dict[str, str], datetime | when.Unclear | None]:
    """发布心愿 内容 对象：… 地点：… 截止：… 人数：… → title, fields, deadline (None if missing,
    Unclear when it needs asking: 3点 上午还是下午, a day already past)."""
    parts = _FIELDS.split(text)
    title, fields = parts[0].strip(), {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    due = None
    if fields.get("截止"):
        found, _ = when.find(fields["截止"], now)
        if isinstance(found, when.When):
            return title, fields, datetime.combine(found.day, found.start or END_OF_DAY, tzinfo=SHANGHAI)
        return title, fields, found
    return title, fields, due


def post(ctx: HandlerContext) -> list[Reply]:
    """发布心愿 …: community or grid staff only."""
    org = managed_org(ctx)
    if org is None or community.community_of(ctx.session, org) is None or org.id is None:
        return [Reply(texts.WISH_POST_NOT_ALLOWED if ctx.asker else texts.MEMBERS_ONLY)]
    body = ctx.args
    title, fields, due = parse(body, ctx.now)
    if not title:
        return [Reply(texts.WISH_POST_USAGE)]
    if due is None:
        return [Reply(texts.WISH_POST_NO_DUE + "\n" + texts.WISH_POST_USAGE)]
    if isinstance(due, when.Unclear):
        return [Reply(when.question(due, ctx.today))]
    places_text = re.sub(r"\D", "", fields.get("人数", "")) or "1"
    try:
        wish = wishes.post(
            ctx.session,
            org_id=org.id,
            title=title,
            due_at=due,
            now=ctx.now,
            places=int(places_text),
            resident=fields.get("对象", ""),
            place=fields.get("地点", ""),
            posted_by=ctx.asker.id if ctx.asker else None,
        )
    except Refused as refused:
        return [Reply(_refusal(refused, 0))]
    reached = announce(ctx.session, wish, now=ctx.now)
    audit(ctx, "wish_post", org, f"wish={wish.id} title={title[:100]}")
    return [
        Reply(
            texts.WISH_POSTED.format(
                id=wish.id, title=wish.title, due=due_text(wish), places=wish.places, targets=reached
            )
        )
    ]


def _refusal(refused: Refused, wish_id: int) -> str:
    return texts.WISH_REFUSED.get(refused.code, texts.WISH_REFUSED["not_found"]).format(id=wish_id)


def _number(ctx: HandlerContext) -> tuple[int | None, str]:
    """The wish number after the command word, and what follows it."""
    parts = ctx.args.split(maxsplit=1)
    if not parts or not parts[0].isdigit():
        return None, ""
    return int(parts[0]), parts[1].strip() if len(parts) > 1 else ""


def _visible_communities(ctx: HandlerContext) -> list[int]:
    """The communities a member hears from: where they reported, where their branch is, this chat's."""
    ids: list[int] = []
    asker = ctx.asker
    if asker is not None and asker.id is not None:
        report = community.open_report(ctx.session, asker.id)
        for org_id in (report.org_id if report else None, asker.org_id):
            org = ctx.session.get(Organization, org_id) if org_id else None
            ids += community_ids_of(ctx.session, org) if org else []
    if ctx.chat_org is not None:
        ids += community_ids_of(ctx.session, ctx.chat_org)
    return list(dict.fromkeys(ids))


def board(ctx: HandlerContext) -> list[Reply]:
    """心愿: wishes waiting for people; staff may ask for 心愿 逾期 / 心愿 未认领 / 心愿 全部."""
    managed = managed_org(ctx)
    staff_ids = subtree(ctx.session, managed) if managed is not None else []
    if managed is not None and ("逾期" in ctx.args or "未认领" in ctx.args or "全部" in ctx.args):
        found = staff_board(ctx.session, staff_ids, ctx.args, ctx.now)
        title = managed.name
    else:
        ids = _visible_communities(ctx) or staff_ids
        if not ids:
            return [Reply(texts.WISH_LIST_NO_COMMUNITY)]
        found = wishes.of_orgs(ctx.session, ids, states=list(wishes.LIVE))
        first = ctx.session.get(Organization, ids[0])
        title = first.name if first else ""
    if not found:
        return [Reply(texts.WISH_LIST_NONE)]
    lines = (
        [texts.WISH_LIST_HEAD.format(place=title)] + [_line(w) for w in found[:20]] + [texts.WISH_LIST_TAIL]
    )
    return [Reply("\n".join(lines))]


def staff_board(session: Session, org_ids: list[int], words: str, now: datetime) -> list[Wish]:
    """Overdue (expired, or live past the deadline), unclaimed (open, nobody yet), or every wish."""
    if "逾期" in words:
        every = wishes.of_orgs(session, org_ids, due_before=now)
        return [w for w in every if w.state in (*wishes.LIVE, WishState.EXPIRED)]
    if "未认领" in words:
        return [w for w in wishes.of_orgs(session, org_ids, states=[WishState.OPEN]) if w.taken == 0]
    return wishes.of_orgs(session, org_ids)


def _line(wish: Wish) -> str:
    return texts.WISH_LIST_LINE.format(
        id=wish.id,
        title=wish.title,
        state=texts.WISH_STATES.get(wish.state, wish.state),
        taken=wish.taken,
        places=wish.places,
        due=due_text(wish),
    )


def _act(ctx: HandlerContext, command: str, *, needs_words: bool = False) -> tuple[int, str] | list[Reply]:
    if ctx.asker is None or ctx.asker.id is None:
        return [Reply(texts.MEMBERS_ONLY)]
    number, words = _number(ctx)
    if number is None or (needs_words and not words):
        usage = texts.WISH_RELEASE_USAGE if needs_words else texts.WISH_NUMBER_USAGE.format(command=command)
        return [Reply(usage)]
    return number, words


def claim(ctx: HandlerContext) -> list[Reply]:
    """认领 N."""
    got = _act(ctx, "认领")
    if isinstance(got, list):
        return got
    number, _ = got
    assert ctx.asker is not None and ctx.asker.id is not None
    try:
        wish = wishes.claim(ctx.session, wish_id=number, member_id=ctx.asker.id, now=ctx.now)
    except Refused as refused:
        return [Reply(_refusal(refused, number))]
    # the claimant must act on it, so they alone are told whom the wish is for
    place = f"，{wish.place}" if wish.place else ""
    whom = texts.WISH_CLAIMED_WHOM.format(resident=wish.resident, place=place) if wish.resident else ""
    return [Reply(texts.WISH_CLAIMED.format(id=wish.id, title=wish.title, whom=whom, due=due_text(wish)))]


def release(ctx: HandlerContext) -> list[Reply]:
    """放弃认领 N 原因."""
    got = _act(ctx, "放弃认领", needs_words=True)
    if isinstance(got, list):
        return got
    number, reason = got
    assert ctx.asker is not None and ctx.asker.id is not None
    try:
        wishes.release(ctx.session, wish_id=number, member_id=ctx.asker.id, reason=reason, now=ctx.now)
    except Refused as refused:
        return [Reply(_refusal(refused, number))]
    return [Reply(texts.WISH_RELEASED.format(id=number))]


def finish(ctx: HandlerContext) -> list[Reply]:
    """完成 N 说明: the claimant's part is done; the poster hears and is asked to confirm."""
    got = _act(ctx, "完成")
    if isinstance(got, list):
        return got
    number, note = got
    assert ctx.asker is not None and ctx.asker.id is not None
    try:
        wish = wishes.finish(ctx.session, wish_id=number, member_id=ctx.asker.id, note=note, now=ctx.now)
    except Refused as refused:
        return [Reply(_refusal(refused, number))]
    tail = (
        texts.WISH_FINISHED_ALL.format(id=number)
        if wish.state == WishState.DONE
        else texts.WISH_FINISHED_SOME
    )
    told = texts.WISH_FINISHED_NOTICE.format(
        id=number, title=wish.title, name=ctx.asker.name, note=note or "—", tail=tail
    )
    _tell(
        ctx.session,
        _poster(ctx.session, wish),
        told,
        (WISH_KIND, number, "done", ctx.asker.id),
        now=ctx.now,
        org_id=wish.org_id,
    )
    return [Reply(texts.WISH_FINISHED.format(id=number))]


def may_decide(ctx: HandlerContext, wish: Wish) -> bool:
    """The poster, or staff of the wish's organization (or above it)."""
    if ctx.asker is not None and wish.posted_by == ctx.asker.id:
        return True
    org = ctx.session.get(Organization, wish.org_id)
    return org is not None and may_manage(ctx, org)


def _decided(ctx: HandlerContext, command: str) -> tuple[int, Wish] | list[Reply]:
    got = _act(ctx, command)
    if isinstance(got, list):
        return got
    number, _ = got
    wish = ctx.session.get(Wish, number)
    if wish is None:
        return [Reply(texts.WISH_REFUSED["not_found"].format(id=number))]
    if not may_decide(ctx, wish):
        return [Reply(texts.WISH_MANAGE_NOT_ALLOWED)]
    return number, wish


def confirm(ctx: HandlerContext) -> list[Reply]:
    """确认完成 N: the wish is confirmed and each member who finished it is credited, once."""
    got = _decided(ctx, "确认完成")
    if isinstance(got, list):
        return got
    number, _ = got
    try:
        wish, credited = confirm_wish(
            ctx.session, ctx.points, wish_id=number, now=ctx.now, by=ctx.asker.id if ctx.asker else None
        )
    except Refused as refused:
        return [Reply(_refusal(refused, number))]
    audit(
        ctx,
        "wish_confirm",
        ctx.session.get(Organization, wish.org_id),
        f"wish={number} credited={len(credited)}",
    )
    return [Reply(texts.WISH_CONFIRMED.format(id=number, count=len(credited), points=ctx.points.wish))]


def confirm_wish(
    session: Session, rules: PointsRules, *, wish_id: int, now: datetime, by: int | None
) -> tuple[Wish, list[Member]]:
    """Confirm, credit and thank the members who finished it (chat, CLI or console)."""
    wish = wishes.confirm(session, wish_id=wish_id, now=now)
    credited = credit_wish(session, rules, wish, at=now, by=by)
    for member in credited:
        text = texts.WISH_CONFIRMED_NOTICE.format(id=wish_id, title=wish.title, points=rules.wish)
        _tell(
            session, [member], text, (WISH_KIND, wish_id, "confirmed", member.id), now=now, org_id=wish.org_id
        )
    return wish, credited


def cancel(ctx: HandlerContext) -> list[Reply]:
    """取消心愿 N: claimants are told they need not go."""
    got = _decided(ctx, "取消心愿")
    if isinstance(got, list):
        return got
    number, _ = got
    try:
        wish = cancel_wish(ctx.session, wish_id=number, now=ctx.now)
    except Refused as refused:
        return [Reply(_refusal(refused, number))]
    audit(ctx, "wish_cancel", ctx.session.get(Organization, wish.org_id), f"wish={number}")
    return [Reply(texts.WISH_CANCELLED.format(id=number))]


def cancel_wish(session: Session, *, wish_id: int, now: datetime) -> Wish:
    wish = wishes.cancel(session, wish_id=wish_id, now=now)
    text = texts.WISH_CANCELLED_NOTICE.format(id=wish_id, title=wish.title)
    _tell(
        session,
        wishes.claimants(session, wish_id, statuses=("active",)),
        text,
        (WISH_KIND, wish_id, "cancelled"),
        now=now,
        org_id=wish.org_id,
    )
    return wish


def queue_deadline_reminders(
    session: Session, *, now: datetime, rules: PointsRules, quiet: QuietHours
) -> int:
    """Before a live wish's deadline: its claimants are reminded, or its poster when nobody claimed it.

    A wish posted within the reminder window gets no reminder: the notice itself was one."""
    queued = 0
    not_before = quiet.release(now) or now
    for wish in wishes.due_between(session, start=now, end=now + rules.wish_remind_before):
        assert wish.id is not None
        if wish.created_at > wish.due_at - rules.wish_remind_before:
            continue  # posted this close to its deadline: everyone just heard of it
        key = (WISH_KIND, wish.id, "remind", f"{wish.due_at.astimezone(SHANGHAI):%Y%m%dT%H%M}")
        active = wishes.claimants(session, wish.id, statuses=("active",))
        if active:
            text = texts.WISH_REMIND_CLAIMANT.format(id=wish.id, title=wish.title, due=due_text(wish))
            queued += _tell(session, active, text, key, now=not_before, org_id=wish.org_id)
        elif wish.taken == 0:
            text = texts.WISH_REMIND_POSTER.format(id=wish.id, title=wish.title, due=due_text(wish))
            queued += _tell(session, _poster(session, wish), text, key, now=not_before, org_id=wish.org_id)
    return queued


def expire(session: Session, *, now: datetime, quiet: QuietHours) -> int:
    """Overdue wishes become expired; their posters hear it."""
    queued = 0
    for wish in wishes.expire_overdue(session, now=now):
        text = texts.WISH_EXPIRED_NOTICE.format(id=wish.id, title=wish.title)
        queued += _tell(
            session,
            _poster(session, wish),
            text,
            (WISH_KIND, wish.id, "expired"),
            now=quiet.release(now) or now,
            org_id=wish.org_id,
        )
    return queued
