"""Linking chat identities to roster members and group chats to branches (issue 6 §1).

Members bind with a one-time code from their secretary, or with their name plus the last
four digits of the phone on the roster. Every failure counts towards a per-identity throttle.
"""

from __future__ import annotations

from sqlmodel import Session, select

from bot.core.messages import Reply
from handlers import texts
from handlers.context import HandlerContext
from handlers.scope import audit, chat_key, home_org, managed_org, may_manage
from storage import bindcodes
from storage.bindcodes import CodeProblem, CodeRejected, Purpose
from storage.members import bind_identity, by_name, in_org, mask_phone
from storage.models import ChatBinding, Member, Organization

_PROBLEM_TEXT = {
    CodeProblem.UNKNOWN: texts.BIND_UNKNOWN,
    CodeProblem.EXPIRED: texts.BIND_EXPIRED,
    CodeProblem.USED: texts.BIND_USED,
}


def args_of(ctx: HandlerContext) -> list[str]:
    """The words after the command word."""
    return ctx.text.split()[1:]


def bind(ctx: HandlerContext) -> list[Reply]:
    """绑定 码 | 绑定 姓名 手机后四位."""
    words = args_of(ctx)
    if not words:
        return [Reply(texts.BIND_USAGE)]
    key = chat_key(ctx)
    if bindcodes.throttled(ctx.session, key=key, now=ctx.now):
        return [Reply(texts.BIND_THROTTLED)]
    if len(words) == 2 and not words[0].isascii():
        if ctx.inbound.is_group:
            # Everyone in the group now knows the name and the four digits, and could reuse them.
            return [Reply(texts.BIND_PHONE_IN_GROUP)]
        member, problem = _member_by_phone(ctx.session, words[0], words[1])
    else:  # a code, possibly typed in pieces: "ABCD EFGH"
        member, problem = _member_by_code(ctx, "".join(words))
    if member is None:
        bindcodes.note_failure(ctx.session, key=key, now=ctx.now)
        return [Reply(problem)]
    bindcodes.clear_failures(ctx.session, key=key)
    if ctx.asker is not None and ctx.asker.id == member.id:
        return [Reply(texts.BIND_ALREADY.format(name=member.name))]
    inbound = ctx.inbound
    bind_identity(
        ctx.session,
        member=member,
        channel=inbound.channel,
        account=inbound.account,
        external_id=inbound.sender_id,
    )
    ctx.asker = member
    audit(ctx, "bind_member", ctx.session.get(Organization, member.org_id), f"member={member.id}")
    return [Reply(texts.BIND_OK.format(name=member.name))]


def _member_by_code(ctx: HandlerContext, code: str) -> tuple[Member | None, str]:
    try:
        row = bindcodes.redeem(ctx.session, code=code, purpose=Purpose.MEMBER, now=ctx.now)
    except CodeRejected as exc:
        if exc.problem is CodeProblem.WRONG_PURPOSE:
            return None, texts.BIND_WRONG_PURPOSE_MEMBER
        return None, _PROBLEM_TEXT[exc.problem]
    return ctx.session.get(Member, row.member_id), ""


def _member_by_phone(session: Session, name: str, last4: str) -> tuple[Member | None, str]:
    if not (len(last4) == 4 and last4.isdigit()):
        return None, texts.BIND_USAGE
    matches = [m for m in by_name(session, name) if m.phone and m.phone.endswith(last4)]
    if len(matches) > 1:
        return None, texts.BIND_SEVERAL
    if not matches:
        return None, texts.BIND_NO_MATCH
    return matches[0], ""


def bind_chat(ctx: HandlerContext) -> list[Reply]:
    """绑定本群 [码]: a code from the branch, or a bound secretary binding the group to their own branch."""
    if not ctx.inbound.is_group:
        return [Reply(texts.BIND_CHAT_NOT_GROUP)]
    words = args_of(ctx)
    key = chat_key(ctx)
    if bindcodes.throttled(ctx.session, key=key, now=ctx.now):
        return [Reply(texts.BIND_THROTTLED)]
    if not words:
        org = home_org(ctx)
        if org is None or not may_manage(ctx, org):
            return [Reply(texts.BIND_CHAT_NEEDS_CODE)]
    else:
        try:
            row = bindcodes.redeem(ctx.session, code=words[0], purpose=Purpose.CHAT, now=ctx.now)
        except CodeRejected as exc:
            bindcodes.note_failure(ctx.session, key=key, now=ctx.now)
            wrong = exc.problem is CodeProblem.WRONG_PURPOSE
            return [Reply(texts.BIND_WRONG_PURPOSE_CHAT if wrong else _PROBLEM_TEXT[exc.problem])]
        org = ctx.session.get(Organization, row.org_id)
        if org is None:
            return [Reply(texts.BIND_UNKNOWN)]
    _bind_chat_to(ctx, org)
    return [Reply(texts.BIND_CHAT_OK.format(org=org.name))]


def _bind_chat_to(ctx: HandlerContext, org: Organization) -> None:
    inbound = ctx.inbound
    binding = ctx.session.exec(
        select(ChatBinding).where(
            ChatBinding.channel == inbound.channel,
            ChatBinding.account == inbound.account,
            ChatBinding.chat_id == inbound.chat_id,
        )
    ).first() or ChatBinding(
        channel=inbound.channel, account=inbound.account, chat_id=inbound.chat_id, org_id=0
    )
    binding.org_id = org.id  # type: ignore[assignment]
    binding.is_group = True
    binding.bound_at = ctx.now
    ctx.session.add(binding)
    ctx.session.flush()
    ctx.chat_org = org
    audit(ctx, "bind_chat", org, f"chat={inbound.chat_id}")


def invite(ctx: HandlerContext) -> list[Reply]:
    """邀请 姓名: a one-time member code, only in a private chat, only for the secretary's own members."""
    org = managed_org(ctx)
    if org is None:
        return [Reply(texts.NOT_ALLOWED if ctx.asker else texts.MEMBERS_ONLY)]
    if ctx.inbound.is_group:
        return [Reply(texts.INVITE_IN_GROUP)]
    words = args_of(ctx)
    if len(words) != 1:
        return [Reply(texts.INVITE_USAGE)]
    name = words[0]
    found = [m for m in in_org(ctx.session, org.id) if m.name == name]
    if not found:
        return [Reply(texts.INVITE_NOT_FOUND.format(name=name))]
    if len(found) > 1:
        who = "、".join(mask_phone(m.phone) or str(m.id) for m in found)
        return [Reply(texts.INVITE_SEVERAL.format(count=len(found), name=name, who=who))]
    member = found[0]
    code, _ = bindcodes.issue(
        ctx.session,
        purpose=Purpose.MEMBER,
        now=ctx.now,
        member_id=member.id,
        issued_by=ctx.asker.id if ctx.asker else None,
    )
    audit(ctx, "invite", org, f"member={member.id}")
    hours = int(bindcodes.MEMBER_TTL.total_seconds() // 3600)
    return [Reply(texts.INVITE_OK.format(name=member.name, code=bindcodes.display(code), hours=hours))]


def chat_code(ctx: HandlerContext) -> list[Reply]:
    """群绑定码: a short-lived code that binds a group chat to the secretary's branch."""
    org = managed_org(ctx)
    if org is None:
        return [Reply(texts.NOT_ALLOWED if ctx.asker else texts.MEMBERS_ONLY)]
    code, _ = bindcodes.issue(
        ctx.session,
        purpose=Purpose.CHAT,
        now=ctx.now,
        org_id=org.id,
        issued_by=ctx.asker.id if ctx.asker else None,
    )
    audit(ctx, "chat_code", org)
    minutes = int(bindcodes.CHAT_TTL.total_seconds() // 60)
    return [Reply(texts.CHAT_CODE_OK.format(org=org.name, code=bindcodes.display(code), minutes=minutes))]
