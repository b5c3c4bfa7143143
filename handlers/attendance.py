"""签到, 请假, 缺席名单 and 标记缺席, with the quorum rules of docs/domain-rules.md §A1/§A4."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply
from handlers import texts
from handlers.context import HandlerContext
from handlers.meetings import KIND_ALIASES
from handlers.permissions import quorum_met, votes
from handlers.scope import audit, subtree
from storage import attendance
from storage.models import Attendance, AttendanceStatus, Meeting, MeetingKind, Member, Organization, OrgKind
from storage.orgs import branch_of

LOOK_BACK = timedelta(days=30)
LOOK_AHEAD = timedelta(days=60)


def _when(meeting: Meeting) -> str:
    local = meeting.starts_at.astimezone(SHANGHAI)
    return texts.cn_datetime(local.date(), local.strftime("%H:%M"))


def _member_org_ids(session: Session, member: Member) -> list[int]:
    ids = {member.org_id}
    if member.group_id is not None:
        ids.add(member.group_id)
    org = session.get(Organization, member.org_id)
    if org is not None and org.id is not None:
        ids.add(branch_of(session, org).id or org.id)
    return sorted(ids)


def check_in(ctx: HandlerContext) -> list[Reply]:
    """签到: the meeting whose window is open now."""
    member = ctx.asker
    assert member is not None and member.id is not None  # a members' command (handlers/commands.py)
    near = attendance.meetings_of(
        ctx.session,
        org_ids=_member_org_ids(ctx.session, member),
        start=ctx.now - LOOK_BACK,
        end=ctx.now + timedelta(hours=1),
    )
    open_now = [m for m in near if attendance.window(m)[0] <= ctx.now <= attendance.window(m)[1]]
    if not open_now:
        return [Reply(texts.CHECKIN_NONE)]
    meeting = min(open_now, key=lambda m: abs(m.starts_at - ctx.now))
    assert meeting.id is not None
    if member.id not in {m.id for m in attendance.expected(ctx.session, meeting)}:
        return [Reply(texts.CHECKIN_NOT_INVITED.format(kind=meeting.kind))]
    before = attendance.records(ctx.session, meeting.id).get(member.id)
    if before is not None and before.status == AttendanceStatus.PRESENT:
        return [Reply(texts.CHECKIN_AGAIN.format(when=_when(meeting), kind=meeting.kind))]
    attendance.mark(
        ctx.session, meeting_id=meeting.id, member_id=member.id, status=AttendanceStatus.PRESENT, at=ctx.now
    )
    return [Reply(texts.CHECKIN_OK.format(when=_when(meeting), kind=meeting.kind))]


def leave(ctx: HandlerContext) -> list[Reply]:
    """请假 [会议类型] 原因: the next meeting the member is expected at."""
    member = ctx.asker
    assert member is not None and member.id is not None  # a members' command (handlers/commands.py)
    words = ctx.words
    kind = KIND_ALIASES.get(words[0]) if words else None
    reason = " ".join(words[1:] if kind else words)
    if not reason:
        return [Reply(texts.LEAVE_USAGE)]
    org_ids = _member_org_ids(ctx.session, member)
    soon = attendance.meetings_of(
        ctx.session, org_ids=org_ids, start=ctx.now - timedelta(hours=3), end=ctx.now + LOOK_AHEAD
    )
    mine = [
        m
        for m in soon
        if (kind is None or m.kind == kind)
        and member.id in {e.id for e in attendance.expected(ctx.session, m)}
    ]
    started = [m for m in mine if m.starts_at <= ctx.now <= attendance.window(m)[1]]
    upcoming = [m for m in mine if m.starts_at > ctx.now]
    if not started and not upcoming:
        return [Reply(texts.LEAVE_NONE)]
    meeting = (started or upcoming)[0]
    assert meeting.id is not None
    before = attendance.records(ctx.session, meeting.id).get(member.id)
    if before is not None and before.status == AttendanceStatus.PRESENT:
        return [Reply(texts.LEAVE_SIGNED_IN.format(when=_when(meeting), kind=meeting.kind))]
    if started:
        return [Reply(texts.LEAVE_TOO_LATE.format(kind=meeting.kind))]
    attendance.mark(
        ctx.session,
        meeting_id=meeting.id,
        member_id=member.id,
        status=AttendanceStatus.LEAVE,
        reason=reason,
        at=ctx.now,
    )
    return [Reply(texts.LEAVE_OK.format(when=_when(meeting), kind=meeting.kind, reason=reason))]


@dataclass(frozen=True, slots=True)
class Roll:
    """A meeting's attendance as the secretary and the ledger see it."""

    meeting: Meeting
    expected: list[Member]
    present: list[Member]
    leave: list[tuple[Member, str]]
    absent: list[tuple[Member, str]]  # marked absent, with the reason given
    missing: list[Member]  # no record at all

    @property
    def quorum_problem(self) -> str | None:
        """The warning to show when the meeting could not decide anything (docs/domain-rules.md §A1, §A4)."""
        if self.meeting.kind == MeetingKind.GENERAL_ASSEMBLY:
            voters = [m for m in self.expected if votes(m.status)]
            came = [m for m in self.present if votes(m.status)]
            template = texts.QUORUM_GENERAL_ASSEMBLY
        elif self.meeting.kind == MeetingKind.COMMITTEE:
            voters, came, template = self.expected, self.present, texts.QUORUM_COMMITTEE
        else:
            return None
        if quorum_met(len(came), len(voters)):
            return None
        return template.format(voters=len(voters), present=len(came))


def roll(session: Session, meeting: Meeting) -> Roll:
    assert meeting.id is not None
    return _roll(meeting, attendance.expected(session, meeting), attendance.records(session, meeting.id))


def rolls(session: Session, meetings: Sequence[Meeting], orgs: Mapping[int, Organization]) -> dict[int, Roll]:
    """``roll`` of many meetings (by id) in a few queries; ``orgs`` holds every meeting's org and branch."""
    branch_of_meeting = {m.id: branch_id_of(orgs, m.org_id) for m in meetings}
    members = attendance.active_by_branch(session, sorted(set(branch_of_meeting.values())))
    records = attendance.records_of(session, [m.id for m in meetings if m.id is not None])
    return {
        m.id: _roll(
            m,
            attendance.expected_among(m, orgs[m.org_id], members[branch_of_meeting[m.id]]),
            records[m.id],
        )
        for m in meetings
        if m.id is not None
    }


def with_groups(
    branches: Sequence[Organization], orgs: Mapping[int, Organization]
) -> dict[int, Organization]:
    """The branches and their 党小组, by id, out of organizations already loaded."""
    ids = {b.id for b in branches}
    return {i: o for i, o in orgs.items() if i in ids or o.parent_id in ids}


def branch_id_of(orgs: Mapping[int, Organization], org_id: int) -> int:
    """The branch of ``org_id`` (its parent for a 党小组), from organizations already loaded."""
    org = orgs[org_id]
    return org.parent_id if OrgKind(org.kind).is_group and org.parent_id is not None else org_id


def _roll(meeting: Meeting, expected: list[Member], seen: Mapping[int, Attendance]) -> Roll:
    by_status: dict[str, list[tuple[Member, str]]] = {s.value: [] for s in AttendanceStatus}
    missing: list[Member] = []
    for member in expected:
        record = seen.get(member.id)  # type: ignore[arg-type]
        if record is None:
            missing.append(member)
        else:
            by_status.setdefault(record.status, []).append((member, record.reason))
    present = [m for m, _ in by_status[AttendanceStatus.PRESENT]]
    return Roll(
        meeting,
        expected,
        present,
        by_status[AttendanceStatus.LEAVE],
        by_status[AttendanceStatus.ABSENT],
        missing,
    )


def _latest(ctx: HandlerContext, org_ids: list[int], kind: str | None) -> Meeting | None:
    started = attendance.meetings_of(
        ctx.session, org_ids=org_ids, start=ctx.now - LOOK_BACK, end=ctx.now + attendance.BEFORE_START
    )
    started = [m for m in started if kind is None or m.kind == kind]
    return started[-1] if started else None


def _names(pairs: list[tuple[Member, str]]) -> str:
    return "、".join(texts.NAME_REASON.format(name=m.name, reason=r) if r else m.name for m, r in pairs)


def missing_list(ctx: HandlerContext) -> list[Reply]:
    """缺席名单 [会议类型]: the latest meeting's roll, with the quorum warning when it applies."""
    org = ctx.org
    assert org is not None  # a managers' command (handlers/commands.py)
    words = ctx.words
    meeting = _latest(ctx, subtree(ctx.session, org), KIND_ALIASES.get(words[0]) if words else None)
    if meeting is None:
        return [Reply(texts.ABSENCE_NONE)]
    r = roll(ctx.session, meeting)
    if meeting.starts_at > ctx.now:
        return [Reply(_not_started(r))]
    lines = [
        texts.ABSENCE_HEAD.format(
            when=_when(meeting),
            kind=meeting.kind,
            expected=len(r.expected),
            present=len(r.present),
            leave=len(r.leave),
            absent=len(r.absent) + len(r.missing),
        )
    ]
    if r.leave:
        lines.append(texts.ABSENCE_LEAVE.format(names=_names(r.leave)))
    if r.missing:
        lines.append(texts.ABSENCE_MISSING.format(names="、".join(m.name for m in r.missing)))
    if r.absent:
        lines.append(texts.ABSENCE_MARKED.format(names=_names(r.absent)))
    if not r.missing and not r.absent:
        lines.append(texts.ABSENCE_ALL_HERE)
    if r.quorum_problem:
        lines.append(r.quorum_problem)
    return [Reply("\n".join(lines))]


def _not_started(r: Roll) -> str:
    """Before the start nobody is absent yet: who has signed in, asked for leave, not signed in so far."""
    lines = [
        texts.ABSENCE_HEAD_NOT_STARTED.format(
            when=_when(r.meeting),
            kind=r.meeting.kind,
            expected=len(r.expected),
            present=len(r.present),
            leave=len(r.leave),
            missing=len(r.missing),
        )
    ]
    if r.leave:
        lines.append(texts.ABSENCE_LEAVE.format(names=_names(r.leave)))
    if r.missing:
        lines.append(texts.ABSENCE_NOT_SIGNED.format(names="、".join(m.name for m in r.missing)))
    return "\n".join(lines)


def correct(
    session: Session,
    *,
    meeting: Meeting,
    member: Member,
    status: AttendanceStatus,
    reason: str,
    now: datetime,
) -> str | None:
    """A secretary's entry for one member, by the chat's rules; None when recorded, else why not.

    签到 only once its window opens, 缺席 only after the start, 请假 with a reason and never over a sign-in
    (storage/attendance.py: the ledger would lose who came).
    """
    assert meeting.id is not None and member.id is not None
    if member.id not in {m.id for m in attendance.expected(session, meeting)}:
        return texts.MARK_NOT_EXPECTED.format(name=member.name, kind=meeting.kind)
    if status == AttendanceStatus.ABSENT and meeting.starts_at > now:
        return texts.MARK_TOO_EARLY.format(when=_when(meeting), kind=meeting.kind)
    if status == AttendanceStatus.PRESENT and attendance.window(meeting)[0] > now:
        return texts.CORRECT_PRESENT_TOO_EARLY.format(when=_when(meeting), kind=meeting.kind)
    if status == AttendanceStatus.LEAVE and not reason.strip():
        return texts.CORRECT_LEAVE_REASON
    try:
        attendance.mark(
            session, meeting_id=meeting.id, member_id=member.id, status=status, reason=reason.strip(), at=now
        )
    except attendance.AlreadySignedIn:
        return texts.CORRECT_LEAVE_SIGNED_IN.format(name=member.name, kind=meeting.kind)
    return None


def mark_absent(ctx: HandlerContext) -> list[Reply]:
    """标记缺席 姓名 [原因]: on the latest meeting."""
    org = ctx.org
    assert org is not None  # a managers' command (handlers/commands.py)
    words = ctx.words
    if not words:
        return [Reply(texts.MARK_USAGE)]
    meeting = _latest(ctx, subtree(ctx.session, org), None)
    if meeting is None or meeting.id is None:
        return [Reply(texts.ABSENCE_NONE)]
    if meeting.starts_at > ctx.now:
        return [Reply(texts.MARK_TOO_EARLY.format(when=_when(meeting), kind=meeting.kind))]
    name, reason = words[0], " ".join(words[1:])
    found = [m for m in attendance.expected(ctx.session, meeting) if m.name == name]
    if not found:
        return [Reply(texts.MARK_NOT_EXPECTED.format(name=name, kind=meeting.kind))]
    member = found[0]
    absent = AttendanceStatus.ABSENT
    problem = correct(ctx.session, meeting=meeting, member=member, status=absent, reason=reason, now=ctx.now)
    if problem:
        return [Reply(problem)]
    audit(ctx, "mark_absent", org, f"meeting={meeting.id} member={member.id}")
    return [Reply(texts.MARK_OK.format(name=name, when=_when(meeting), kind=meeting.kind))]
