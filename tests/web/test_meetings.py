"""The console's 会议 pages over real HTTP: the month, arranging, moving, cancelling, attendance, files."""

from __future__ import annotations

import re
from datetime import date, datetime
from io import BytesIO
from urllib.parse import unquote

import httpx
from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import Engine, event
from sqlmodel import select

from bot.core.clock import SHANGHAI
from handlers import texts
from schedules import reminders
from storage.db import session_scope
from storage.demo import GRID, OFFICE, RETIRED, TOP
from storage.models import Attendance, AuditLog, Delivery, Meeting, MeetingStatus, Member, OrgKind
from storage.orgs import by_name as org_named
from storage.orgs import get_or_create
from tests.web.conftest import DISTRICT, MEMBER, SECRETARY, Site, csrf_of, signed_in


def _branch_id(engine: Engine, name: str) -> int:
    with session_scope(engine) as session:
        org = org_named(session, name)[0]
        assert org.id is not None
        return org.id


def _meeting(engine: Engine, kind: str, status: str | None = None) -> Meeting:
    with session_scope(engine) as session:
        query = select(Meeting).where(Meeting.org_id == _branch_id(engine, OFFICE), Meeting.kind == kind)
        if status:
            query = query.where(Meeting.status == status)
        found = session.exec(query.order_by(Meeting.starts_at.desc())).first()  # type: ignore[attr-defined]
        assert found is not None
        session.expunge(found)
        return found


def _arrange(client: httpx.Client, **fields: str) -> httpx.Response:
    token = csrf_of(client.get("/console/meetings").text)
    form = {"csrf": token, "kind": "支委会", "day": "2026-11-26", "start": "10:00", "place": "三楼会议室"}
    return client.post("/console/meetings", data={**form, **fields})


def test_a_meeting_arranged_in_the_console_is_in_the_month_and_reminded_in_the_chat(
    site: Site, engine: Engine
) -> None:
    with site.login(SECRETARY) as client:
        done = _arrange(client, kind="党课", topic="研究发展党员工作")
        assert texts.CONSOLE_MEETING_CREATED in done.text
        month = done.text[done.text.index('id="calendar"') :]
        assert "10:00 党课" in month and "研究发展党员工作" in month
    with session_scope(engine) as session:
        logged = session.exec(select(AuditLog).where(AuditLog.action == "meeting_create")).one()
        assert logged.channel == "web"
        queued = reminders.run(datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI), session=session)
        assert queued >= 1
        rows = session.exec(select(Delivery).where(Delivery.kind == "meeting_reminder")).all()
        assert any("研究发展党员工作" in r.text and "明天10:00" in r.text and r.is_group for r in rows)


def test_the_chat_s_rules_refuse_a_duplicate_and_a_past_time(site: Site) -> None:
    with site.login(SECRETARY) as client:
        _arrange(client)
        twice = _arrange(client)
        past = _arrange(client, day="2026-11-20")
        nonsense = _arrange(client, start="25:99")
    assert texts.MEETING_DUPLICATE.format(when="11月26日（周四）10:00", kind="支委会") in twice.text
    assert "11月20日" in past.text and "已经过去了" in past.text
    assert texts.CONSOLE_BAD_WHEN in nonsense.text


def test_moving_and_cancelling_tell_those_already_reminded(site: Site, engine: Engine) -> None:
    meeting = _meeting(engine, "支部党员大会", MeetingStatus.PLANNED)  # tomorrow 15:00
    with session_scope(engine) as session:
        reminders.run(site.clock.now(), session=session)  # the day-before reminder went out
        for row in session.exec(select(Delivery).where(Delivery.meeting_id == meeting.id)):
            row.status = "sent"
    with site.login(SECRETARY) as client:
        page = client.get(f"/console/meetings/{meeting.id}")
        moved = client.post(
            f"/console/meetings/{meeting.id}/move",
            data={"csrf": csrf_of(page.text), "day": "2026-11-27", "start": "14:00", "place": ""},
        )
        assert texts.CONSOLE_MEETING_MOVED in moved.text and "会收到改期/取消通知" in moved.text
        cancelled = client.post(f"/console/meetings/{meeting.id}/cancel", data={"csrf": csrf_of(page.text)})
        assert texts.CONSOLE_MEETING_CANCELLED in cancelled.text
        again = client.post(f"/console/meetings/{meeting.id}/cancel", data={"csrf": csrf_of(page.text)})
        assert texts.MEETING_CLOSED in again.text
    with session_scope(engine) as session:
        notices = [r.text for r in session.exec(select(Delivery).where(Delivery.kind == "meeting_change"))]
        assert any("【会议改期】" in t and "11月27日" in t for t in notices)
        assert any("【会议取消】" in t for t in notices)
        assert session.get(Meeting, meeting.id).status == MeetingStatus.CANCELLED  # type: ignore[union-attr]


def test_a_secretary_corrects_the_attendance_by_the_chat_s_rules(site: Site, engine: Engine) -> None:
    held = _meeting(engine, "党课", MeetingStatus.HELD)
    coming = _meeting(engine, "支部党员大会", MeetingStatus.PLANNED)
    assert held.id is not None
    member_id = signed_in(engine, held.id, MEMBER)
    with site.login(SECRETARY) as client:
        token = csrf_of(client.get(f"/console/meetings/{held.id}").text)
        url = f"/console/meetings/{held.id}/attendance"
        refused = client.post(
            url, data={"csrf": token, "member": member_id, "status": "leave", "reason": "出差"}
        )
        assert texts.CORRECT_LEAVE_SIGNED_IN.format(name=MEMBER, kind="党课") in refused.text
        fixed = client.post(
            url, data={"csrf": token, "member": member_id, "status": "absent", "reason": "无故未到"}
        )
        assert texts.CONSOLE_ATTENDANCE_SAVED in fixed.text
        row = re.search(rf'<tr id="m{member_id}">.*?</tr>', fixed.text, re.S)
        assert row is not None and "缺席" in row.group(0) and "无故未到" in row.group(0)
        early = client.post(
            f"/console/meetings/{coming.id}/attendance",
            data={"csrf": token, "member": member_id, "status": "absent", "reason": ""},
        )
        assert "开始后才能标记缺席" in early.text
    with session_scope(engine) as session:
        audit = session.exec(select(AuditLog).where(AuditLog.action == "attendance_correct")).one()
        assert audit.channel == "web" and f"member={member_id}" in audit.detail


def test_the_ledger_and_the_calendar_download(site: Site) -> None:
    with site.login(SECRETARY) as client:
        book = client.get("/console/meetings/ledger.xlsx?year=2026")
        ics = client.get("/console/meetings/calendar.ics")
    assert book.status_code == 200 and "attachment" in book.headers["content-disposition"]
    assert "党课" in load_workbook(BytesIO(book.content)).sheetnames
    assert ics.headers["content-type"].startswith("text/calendar") and b"BEGIN:VEVENT" in ics.content


def test_permissions_are_the_chat_s(site: Site, engine: Engine) -> None:
    grid = _branch_id(engine, GRID)
    office_meeting = _meeting(engine, "党课", MeetingStatus.HELD)
    with site.login(MEMBER) as client:
        assert client.get("/console/meetings").status_code == 403
    with site.login(SECRETARY) as client:
        assert client.get(f"/console/meetings?branch={grid}").status_code == 403
        forged = client.post(
            "/console/meetings", data={"kind": "支委会", "day": "2026-11-26", "start": "10:00"}
        )
        assert forged.status_code == 403
    with site.login(DISTRICT) as client:
        month = client.get(f"/console/meetings?branch={grid}&month=2026-10")
        assert month.status_code == 200 and GRID in month.text and "书记讲党课" in month.text
        assert client.get(f"/console/meetings/{office_meeting.id}").status_code == 200


def _queries(site: Site, engine: Engine, path: str) -> int:
    """How many SQL statements the district organizer's GET of ``path`` runs (its login not counted)."""
    counts = {"on": 0, "n": 0}

    def count(*_: object) -> None:
        counts["n"] += counts["on"]

    event.listen(engine, "before_cursor_execute", count)
    try:
        with site.login(DISTRICT) as client:
            counts["on"] = 1
            assert client.get(path).status_code == 200
            counts["on"] = 0
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return counts["n"]


def test_the_month_page_asks_no_more_queries_with_more_branches(site: Site, engine: Engine) -> None:
    path = f"/console/meetings?branch={_branch_id(engine, OFFICE)}&month=2026-11"
    before = _queries(site, engine, path)
    with session_scope(engine) as session:
        top = org_named(session, TOP)[0]
        for n in range(5):
            get_or_create(session, name=f"新建第{n}党支部", kind=OrgKind.BRANCH.value, parent_id=top.id)
    assert _queries(site, engine, path) == before


def test_every_branch_s_ledger_in_one_workbook_and_one_calendar(site: Site, engine: Engine) -> None:
    with session_scope(engine) as session:  # the grid's 主题党日 next month, beside the office's meetings
        starts = datetime(2026, 12, 10, 9, tzinfo=SHANGHAI)
        session.add(Meeting(org_id=_branch_id(engine, GRID), kind="主题党日", starts_at=starts))
    with site.login(SECRETARY) as client:
        alone = load_workbook(BytesIO(client.get("/console/meetings/ledger.xlsx?year=2026").content))
        assert "branch=all" not in client.get("/console/meetings").text  # one branch: nothing to gather
    with site.login(DISTRICT) as client:
        assert "全部支部2026年台账" in client.get("/console/meetings?month=2026-11").text
        book = client.get("/console/meetings/ledger.xlsx?branch=all&year=2026")
        ics = client.get("/console/meetings/calendar.ics?branch=all").content.decode()
    assert "幸福街道党工委全部支部三会一课台账-2026.xlsx" in unquote(book.headers["content-disposition"])
    sheets = load_workbook(BytesIO(book.content))
    assert sheets.sheetnames == [GRID, RETIRED, OFFICE]  # as the console lists them
    office = [[c for c in row] for row in sheets[OFFICE].iter_rows(values_only=True)]
    assert office[0][0] == alone["完成情况"]["A1"].value  # the branch's own summary first
    header = office.index(["会议类型", *texts.LEDGER_COLUMNS])
    lectures = [row[1:] for row in office[header + 1 :] if row[0] == "党课"]
    assert lectures == [list(row) for row in alone["党课"].iter_rows(min_row=2, values_only=True)]
    summaries = [str(e["summary"]) for e in Calendar.from_ical(ics).walk("VEVENT")]
    assert any(s.startswith(f"{OFFICE} · ") for s in summaries)
    assert f"{GRID} · 主题党日" in summaries


def test_every_branch_s_ledger_asks_no_more_queries_with_more_branches(site: Site, engine: Engine) -> None:
    path = "/console/meetings/ledger.xlsx?branch=all&year=2026"
    before = _queries(site, engine, path)
    with session_scope(engine) as session:
        top = org_named(session, TOP)[0]
        for n in range(5):
            branch, _ = get_or_create(
                session, name=f"新建第{n}党支部", kind=OrgKind.BRANCH.value, parent_id=top.id
            )
            member = Member(name=f"新党员{n}", org_id=branch.id or 0, joined_on=date(2010, 7, 1))
            held = Meeting(
                org_id=branch.id or 0, kind="党课", starts_at=datetime(2026, 3, 5, 15, tzinfo=SHANGHAI)
            )
            session.add_all([member, held])
            session.flush()
            session.add(Attendance(meeting_id=held.id or 0, member_id=member.id or 0, status="present"))
    assert _queries(site, engine, path) == before
