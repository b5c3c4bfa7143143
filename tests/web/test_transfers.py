"""转出 and 转入 on the console's 党员名册 over real HTTP: confirmation first, then the roster, the outbox and
the audit log show the change; a member keeps their history from one branch to the next."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import select

from bot.core.messages import Reply, Target
from storage import outbox
from storage.attendance import of_member
from storage.db import session_scope
from storage.demo import OFFICE, RETIRED
from storage.members import bind_identity, by_name
from storage.models import AuditLog, DeliveryStatus, MemberStatus, Role
from storage.orgs import by_name as org_named
from tests.web.conftest import DISTRICT, MEMBER, SECRETARY, Site, csrf_of, held_lecture, signed_in

PRIVATE = Target("console", "local", "private-gaoxue", False)


def _queue_private_reminder(engine: Engine) -> None:
    """高雪 bound in a private chat with a reminder still waiting there."""
    with session_scope(engine) as session:
        bind_identity(
            session,
            member=by_name(session, MEMBER)[0],
            channel="console",
            account="local",
            external_id=PRIVATE.chat_id,
        )
        outbox.enqueue(
            session,
            target=PRIVATE,
            reply=Reply("明天下午开党课"),
            dedupe_key="t:private",
            kind="meeting_reminder",
        )


def test_a_secretary_transfers_a_member_out_after_confirming(site: Site, engine: Engine) -> None:
    _queue_private_reminder(engine)
    with session_scope(engine) as session:
        member_id = by_name(session, MEMBER)[0].id
    with site.login(SECRETARY) as client:
        roster = client.get("/console/members").text
        assert f'href="/console/members/{member_id}/transfer-out"' in roster
        confirm = client.get(f"/console/members/{member_id}/transfer-out").text
        assert "不再收到会议提醒" in confirm and "记录都保留" in confirm
        with session_scope(engine) as session:
            assert by_name(session, MEMBER)[0].status != MemberStatus.TRANSFERRED_OUT  # nothing yet
        refused = client.post(f"/console/members/{member_id}/transfer-out", data={"to": "x"})
        assert refused.status_code == 403
        done = client.post(
            f"/console/members/{member_id}/transfer-out",
            data={"csrf": csrf_of(confirm), "to": "城南街道某社区党支部"},
        )
    assert "已办理转出" in done.text and "1条私聊消息已撤回" in done.text
    listed = done.text[done.text.index('id="members"') :]
    assert MEMBER not in listed  # the roster lists members in the branch by default
    with session_scope(engine) as session:
        assert by_name(session, MEMBER)[0].status == MemberStatus.TRANSFERRED_OUT
        reminder = outbox.by_key(session, "t:private")
        assert reminder is not None and reminder.status == DeliveryStatus.CANCELLED
        entry = session.exec(select(AuditLog).where(AuditLog.action == "transfer_out")).one()
        assert entry.channel == "web" and "城南街道某社区党支部" in entry.detail


def test_a_transferred_member_comes_back_in_another_branch_with_their_history(
    site: Site, engine: Engine
) -> None:
    lecture = held_lecture(engine)
    member_id = signed_in(engine, lecture, MEMBER)
    with session_scope(engine) as session:
        history = of_member(session, member_id=member_id)
    with site.login(SECRETARY) as client:
        page = client.get(f"/console/members/{member_id}/transfer-out").text
        client.post(f"/console/members/{member_id}/transfer-out", data={"csrf": csrf_of(page)})
    with session_scope(engine) as session:
        gone = by_name(session, MEMBER)[0]
        joined, retired = gone.joined_on.isoformat(), org_named(session, RETIRED)[0].id
    typed = {"name": MEMBER, "joined_on": joined, "branch": str(retired)}
    with site.login(DISTRICT) as client:
        token = csrf_of(client.get("/console/members").text)
        check = client.post("/console/members/transfer-in", data={"csrf": token, **typed, "action": "check"})
        assert "确认转入" in check.text and f"{OFFICE}已为其办理转出" in check.text
        with session_scope(engine) as session:
            assert by_name(session, MEMBER)[0].status == MemberStatus.TRANSFERRED_OUT  # not yet
        done = client.post("/console/members/transfer-in", data={"csrf": token, **typed, "action": "confirm"})
    assert "已办理转入" in done.text
    with session_scope(engine) as session:
        (back,) = by_name(session, MEMBER)
        assert (back.id, back.org_id, back.role, back.group_id) == (member_id, retired, Role.MEMBER, None)
        assert back.status == MemberStatus.FULL
        assert of_member(session, member_id=member_id) == history and lecture in {m.id for m, _ in history}
        entry = session.exec(select(AuditLog).where(AuditLog.action == "transfer_in")).one()
        assert "returning" in entry.detail and OFFICE in entry.detail


def test_transfer_in_adds_a_new_member_and_refuses_one_still_in_a_branch(site: Site, engine: Engine) -> None:
    with session_scope(engine) as session:
        staying = by_name(session, "唐磊")[0]
        staying_joined = staying.joined_on.isoformat()
    with site.login(SECRETARY) as client:
        token = csrf_of(client.get("/console/members").text)
        still = client.post(
            "/console/members/transfer-in",
            data={"csrf": token, "name": "唐磊", "joined_on": staying_joined, "action": "confirm"},
        )
        new = {
            "name": "韦立新",
            "joined_on": "2020年7月1日",
            "full_on": "2021-07-01",
            "phone": "139 0000 7788",
        }
        bad = client.post(
            "/console/members/transfer-in", data={"csrf": token, **new, "joined_on": "2020-13-01"}
        )
        added = client.post("/console/members/transfer-in", data={"csrf": token, **new, "action": "confirm"})
    assert "仍在街道机关党支部" in still.text and "确认转入" not in still.text
    assert "没有这一天" in bad.text and 'value="韦立新"' in bad.text
    assert "已办理转入" in added.text
    with session_scope(engine) as session:
        (newcomer,) = by_name(session, "韦立新")
        assert newcomer.org_id == staying.org_id and newcomer.phone == "13900007788"
        assert newcomer.status == MemberStatus.FULL and newcomer.join_month == 7


def test_no_transfers_outside_ones_branches(site: Site, engine: Engine) -> None:
    with session_scope(engine) as session:
        elsewhere = by_name(session, "冯建军")[0].id  # 和平社区第一网格党支部
        retired = org_named(session, RETIRED)[0].id
        me = by_name(session, SECRETARY)[0].id
    with site.login(SECRETARY) as client:
        token = csrf_of(client.get("/console/members").text)
        out = client.post(f"/console/members/{elsewhere}/transfer-out", data={"csrf": token})
        into = client.post(
            "/console/members/transfer-in",
            data={"csrf": token, "name": "韦立新", "joined_on": "2020-07-01", "branch": str(retired)},
        )
        myself = client.post(
            f"/console/members/{me}/transfer-out", data={"csrf": token}, follow_redirects=True
        )
    assert out.status_code == 403 and into.status_code == 403
    assert "不能给自己办理转出" in myself.text
    with session_scope(engine) as session:
        assert by_name(session, "冯建军")[0].status != MemberStatus.TRANSFERRED_OUT
        assert by_name(session, SECRETARY)[0].status != MemberStatus.TRANSFERRED_OUT
        assert not by_name(session, "韦立新")
