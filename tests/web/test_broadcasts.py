"""The console's 通知 page over real HTTP: the chat's 发布 / 确认发送, its reach and 24 h repeat warning."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import select

from handlers import texts
from storage.db import session_scope
from storage.demo import GRID, OFFICE
from storage.models import AuditLog, Delivery
from storage.orgs import by_name as org_named
from tests.web.conftest import DISTRICT, SECRETARY, Site, csrf_of

NOTICE = "本周五下午3点在三楼会议室开党员大会，请准时参加。"


def test_preview_the_reach_confirm_and_see_the_report(site: Site, engine: Engine) -> None:
    with site.login(SECRETARY) as client:
        token = csrf_of(client.get("/console/broadcasts").text)
        shown = client.post("/console/broadcasts", data={"csrf": token, "text": NOTICE, "action": "preview"})
        assert "将发送到 1 个群，覆盖" in shown.text and "名党员" in shown.text
        assert texts.BROADCAST_REPEAT.strip() not in shown.text
        with session_scope(engine) as session:
            assert session.exec(select(Delivery).where(Delivery.kind == "broadcast")).first() is None
        sent = client.post("/console/broadcasts", data={"csrf": token, "text": NOTICE, "action": "confirm"})
        assert texts.CONSOLE_BROADCAST_QUEUED.format(count=1) in sent.text
        assert OFFICE in sent.text[sent.text.index('id="batch"') :]
        again = client.post("/console/broadcasts", data={"csrf": token, "text": NOTICE, "action": "preview"})
        assert texts.BROADCAST_REPEAT.strip() in again.text  # the same text to the same chats within 24 h
    with session_scope(engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == "broadcast")).all()
        assert [r.text for r in rows] == [NOTICE]
        audit = session.exec(select(AuditLog).where(AuditLog.action == "broadcast")).one()
        assert audit.channel == "web" and "chats=1" in audit.detail


def test_a_district_reaches_every_branch_below_or_one(site: Site, engine: Engine) -> None:
    with session_scope(engine) as session:
        grid = org_named(session, GRID)[0].id
    with site.login(DISTRICT) as client:
        token = csrf_of(client.get("/console/broadcasts").text)
        every = client.post("/console/broadcasts", data={"csrf": token, "text": NOTICE, "action": "preview"})
        one = client.post(
            "/console/broadcasts", data={"csrf": token, "text": NOTICE, "org": grid, "action": "preview"}
        )
    # the three branches' groups and 和平社区党委's own; one grid branch: its group
    assert "将发送到 4 个群" in every.text and "将发送到 1 个群" in one.text


def test_a_secretary_cannot_send_as_another_branch(site: Site, engine: Engine) -> None:
    with session_scope(engine) as session:
        grid = org_named(session, GRID)[0].id
    with site.login(SECRETARY) as client:
        token = csrf_of(client.get("/console/broadcasts").text)
        refused = client.post(
            "/console/broadcasts", data={"csrf": token, "text": NOTICE, "org": grid, "action": "confirm"}
        )
    assert refused.status_code == 403
