"""Linking chat identities to roster members and group chats to branches.

Members bind with a one-time code from their secretary, or with their name plus the last
four digits of the phone on the roster. Four digits can be guessed, so that path is throttled per
identity, per name and overall (storage/bindcodes.py), never reset by a success, written to the audit
log on every miss, and closed to committee members, who can issue codes and so must bind with one.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.core.messages import Reply
from handlers import texts
from handlers.context import HandlerContext
from handlers.outbound import queue_all
from handlers.permissions import COMMITTEE_ROLES
from handlers.scope import audit, chat_key, home_org, may_manage
from storage import bindcodes
from storage.audience import private_targets, secretaries
from storage.bindcodes import CodeProblem, CodeRejected, Purpose
from storage.members import bind_identity, by_name, in_org, mask_phone
from storage.models import ChatBinding, Member, MemberStatus, Organization
from storage.orgs import branch_of

LOCK_NOTICE_KIND = "bind_lock"
CHAT_MOVED_KIND = "chat_moved"

_PROBLEM_TEXT = {
    CodeProblem.UNKNOWN: texts.BIND_UNKNOWN,
    CodeProblem.EXPIRED: texts.BIND_EXPIRED,
    CodeProblem.USED: texts.BIND_USED,
}


def bind(ctx: HandlerContext) -> list[Reply]:
    """绑定 码 | 绑定 姓名 手机后四位."""
    words = ctx.words
    if not words:
        return [Reply(texts.BIND_USAGE)]
    key = chat_key(ctx)
    bindcodes.hold_guard(ctx.session)  # parallel attempts are checked and counted one after another
    if bindcodes.throttled(ctx.session, key=key, now=ctx.now):
        return [Reply(texts.BIND_THROTTLED)]
    if len(words) == 2 and not words[0].isascii():
        if ctx.inbound.is_group:
            # Everyone in the group now knows the name and the four digits, and could reuse them.
            return [Reply(texts.BIND_PHONE_IN_GROUP)]
        member, problem = _member_by_phone(ctx, words[0], words[1])
    else:  # a code, possibly typed in pieces: "ABCD EFGH"
        member, problem = _member_by_code(ctx, "".join(words))
    if member is None:
        return [Reply(problem)]
    if member.status == MemberStatus.TRANSFERRED_OUT:
        return [Reply(texts.BIND_TRANSFERRED)]
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
        bindcodes.note_failure(ctx.session, key=chat_key(ctx), now=ctx.now)
        audit(ctx, "bind_failed", None, f"via=code problem={exc.problem.value}")
        if exc.problem is CodeProblem.WRONG_PURPOSE:
            return None, texts.BIND_WRONG_PURPOSE_MEMBER
        return None, _PROBLEM_TEXT[exc.problem]
    return ctx.session.get(Member, row.member_id), ""


def _member_by_phone(ctx: HandlerContext, name: str, last4: str) -> tuple[Member | None, str]:
    """A guessable proof, so it is bounded per identity, per name and overall, and closed to committees."""
    if not (len(last4) == 4 and last4.isdigit()):
        return None, texts.BIND_USAGE
    session, now = ctx.session, ctx.now
    if bindcodes.name_locked(session, name=name, now=now):
        return None, texts.BIND_NAME_LOCKED
    if bindcodes.phone_path_paused(session, now=now):
        return None, texts.BIND_PHONE_PAUSED
    named = [m for m in by_name(session, name) if m.status != MemberStatus.TRANSFERRED_OUT]
    ordinary = [m for m in named if m.role not in COMMITTEE_ROLES]
    if named and not ordinary:
        # Decided before the digits are looked at, so the reply says nothing about them.
        audit(ctx, "bind_refused", _org_of(session, named[0]), f"via=phone name={name} reason=committee")
        return None, texts.BIND_COMMITTEE_NEEDS_CODE
    matches = [m for m in ordinary if m.phone and m.phone.endswith(last4)]
    if len(matches) > 1:
        return None, texts.BIND_SEVERAL
    if matches:
        return matches[0], ""
    locked_now = bindcodes.note_phone_failure(session, key=chat_key(ctx), name=name, now=now)
    audit(ctx, "bind_failed", _org_of(session, named[0]) if named else None, f"via=phone name={name}")
    if locked_now:
        _warn_of_lockout(ctx, named)
    return None, texts.BIND_NO_MATCH


def _org_of(session: Session, member: Member) -> Organization | None:
    return session.get(Organization, member.org_id)


def _warn_of_lockout(ctx: HandlerContext, named: list[Member]) -> None:
    """Tell the members behind a locked name, and their secretaries, that someone kept guessing."""
    day = ctx.now.date().isoformat()
    for member in named:
        org = _org_of(ctx.session, member)
        branch = branch_of(ctx.session, org) if org else None
        queue_all(
            ctx.session,
            targets=private_targets(ctx.session, [member]),
            reply=Reply(texts.BIND_LOCK_NOTICE_MEMBER),
            key_parts=(LOCK_NOTICE_KIND, f"m{member.id}", day),
            kind=LOCK_NOTICE_KIND,
            org_id=member.org_id,
        )
        if branch is not None and branch.id is not None:
            queue_all(
                ctx.session,
                targets=secretaries(ctx.session, branch.id),
                reply=Reply(texts.BIND_LOCK_NOTICE_SECRETARY.format(name=member.name)),
                key_parts=(LOCK_NOTICE_KIND, f"s{member.id}", day),
                kind=LOCK_NOTICE_KIND,
                org_id=branch.id,
            )


def bind_chat(ctx: HandlerContext) -> list[Reply]:
    """绑定本群 [码]: a code from the branch, or a bound secretary binding the group to their own branch."""
    words = ctx.words
    key = chat_key(ctx)
    if bindcodes.throttled(ctx.session, key=key, now=ctx.now):
        return [Reply(texts.BIND_THROTTLED)]
    current = _binding_here(ctx)
    owner = ctx.session.get(Organization, current.org_id) if current else None
    if not words:
        org = home_org(ctx)
        if org is None or not may_manage(ctx, org):
            return [Reply(texts.BIND_CHAT_NEEDS_CODE)]
    else:
        if owner is not None and not may_manage(ctx, owner):
            # Checked before the code is spent: a group bound elsewhere moves only with its owner's consent.
            return [Reply(_owned_by(owner))]
        try:
            row = bindcodes.redeem(ctx.session, code=words[0], purpose=Purpose.CHAT, now=ctx.now)
        except CodeRejected as exc:
            bindcodes.note_failure(ctx.session, key=key, now=ctx.now)
            audit(ctx, "bind_chat_failed", owner, f"chat={ctx.inbound.chat_id} problem={exc.problem.value}")
            wrong = exc.problem is CodeProblem.WRONG_PURPOSE
            return [Reply(texts.BIND_WRONG_PURPOSE_CHAT if wrong else _PROBLEM_TEXT[exc.problem])]
        org = ctx.session.get(Organization, row.org_id)
        if org is None:
            return [Reply(texts.BIND_UNKNOWN)]
    if owner is not None and owner.id != org.id:
        if not may_manage(ctx, owner):
            audit(ctx, "bind_chat_refused", owner, f"chat={ctx.inbound.chat_id} wanted={org.id}")
            return [Reply(_owned_by(owner))]
        _tell_secretaries(ctx, owner, texts.CHAT_MOVED_NOTICE.format(owner=owner.name, org=org.name))
    _bind_chat_to(ctx, current, org)
    return [Reply(texts.BIND_CHAT_OK.format(org=org.name))]


def unbind_chat(ctx: HandlerContext) -> list[Reply]:
    """解绑本群: the owning branch's managers release the group, so another branch may bind it."""
    current = _binding_here(ctx)
    owner = ctx.session.get(Organization, current.org_id) if current else None
    if current is None or owner is None:
        return [Reply(texts.UNBIND_CHAT_NOT_BOUND)]
    if not may_manage(ctx, owner):
        return [Reply(texts.UNBIND_CHAT_NOT_ALLOWED.format(owner=owner.name))]
    ctx.session.delete(current)
    ctx.session.flush()
    ctx.chat_org = None
    audit(ctx, "unbind_chat", owner, f"chat={ctx.inbound.chat_id}")
    return [Reply(texts.UNBIND_CHAT_OK.format(owner=owner.name))]


def _owned_by(owner: Organization) -> str:
    return texts.BIND_CHAT_OWNED.format(owner=owner.name)


def _binding_here(ctx: HandlerContext) -> ChatBinding | None:
    inbound = ctx.inbound
    return ctx.session.exec(
        select(ChatBinding).where(
            ChatBinding.channel == inbound.channel,
            ChatBinding.account == inbound.account,
            ChatBinding.chat_id == inbound.chat_id,
        )
    ).first()


def _tell_secretaries(ctx: HandlerContext, org: Organization, text: str) -> None:
    if org.id is None:
        return
    queue_all(
        ctx.session,
        targets=secretaries(ctx.session, org.id),
        reply=Reply(text),
        key_parts=(CHAT_MOVED_KIND, ctx.inbound.chat_id, org.id, ctx.now.isoformat()),
        kind=CHAT_MOVED_KIND,
        org_id=org.id,
    )


def _bind_chat_to(ctx: HandlerContext, binding: ChatBinding | None, org: Organization) -> None:
    inbound = ctx.inbound
    if binding is None:
        binding = ChatBinding(
            channel=inbound.channel, account=inbound.account, chat_id=inbound.chat_id, org_id=0
        )
    previous = binding.org_id
    binding.org_id = org.id  # type: ignore[assignment]
    binding.is_group = True
    binding.bound_at = ctx.now
    ctx.session.add(binding)
    ctx.session.flush()
    ctx.chat_org = org
    moved = f" from={previous}" if previous and previous != org.id else ""
    audit(ctx, "bind_chat", org, f"chat={inbound.chat_id}{moved}")


def invite(ctx: HandlerContext) -> list[Reply]:
    """邀请 姓名: a one-time member code, only in a private chat, only for the secretary's own members."""
    org = ctx.org
    assert org is not None and org.id is not None  # a managers' command (handlers/commands.py)
    words = ctx.words
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
    text = member_code(ctx.session, member=member, by=ctx.asker.id if ctx.asker else None, now=ctx.now)
    audit(ctx, "invite", org, f"member={member.id}")
    return [Reply(text)]


def member_code(session: Session, *, member: Member, by: int | None, now: datetime) -> str:
    """A fresh one-time binding code for ``member`` (earlier ones lapse), as the text that hands it over."""
    code, _ = bindcodes.issue(session, purpose=Purpose.MEMBER, now=now, member_id=member.id, issued_by=by)
    hours = int(bindcodes.MEMBER_TTL.total_seconds() // 3600)
    return texts.INVITE_OK.format(name=member.name, code=bindcodes.display(code), hours=hours)


def chat_code(ctx: HandlerContext) -> list[Reply]:
    """群绑定码: a short-lived code that binds a group chat to the secretary's branch."""
    org = ctx.org
    assert org is not None and org.id is not None  # a managers' command (handlers/commands.py)
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
