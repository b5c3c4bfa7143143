"""The overview's figures per branch, and that it reads every branch at once (no query per row)."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, event
from sqlmodel import Session

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply, Target
from handlers import overview
from handlers.console import scope_of
from storage import outbox
from storage.attendance import mark
from storage.db import session_scope
from storage.demo import GRID, OFFICE, RETIRED
from storage.meetings import create_meeting
from storage.members import by_name
from storage.models import AttendanceStatus, Member, MemberStatus, Organization, OrgKind, Role
from storage.orgs import by_name as org_named
from tests.web.conftest import DISTRICT, SECRETARY, Site

MONTH = "2027-02"  # well after the demo's own meetings (around 2026-11-23)
NOW = datetime(2027, 2, 25, 18, 0, tzinfo=SHANGHAI)


def _org(session: Session, name: str) -> Organization:
    return org_named(session, name)[0]


def _build(session: Session, name: str, month: str = MONTH, **options: object) -> overview.Overview:
    return overview.build(
        session, scope=scope_of(session, by_name(session, name)[0]), month=month, now=NOW, **options
    )  # type: ignore[arg-type]


@pytest.mark.usefixtures("demo")
def test_a_branch_row_counts_meetings_attendance_and_the_guide(engine: Engine) -> None:
    with session_scope(engine) as session:
        office = _org(session, OFFICE)
        assert office.id is not None
        committee = create_meeting(
            session, org_id=office.id, kind="支委会", starts_at=datetime(2027, 2, 10, 15, tzinfo=SHANGHAI)
        )
        create_meeting(
            session, org_id=office.id, kind="党课", starts_at=datetime(2027, 1, 20, 15, tzinfo=SHANGHAI)
        )
        create_meeting(
            session,
            org_id=office.id,
            kind="主题党日",  # later this month: not held yet
            starts_at=datetime(2027, 2, 27, 9, tzinfo=SHANGHAI),
        )
        secretary = by_name(session, SECRETARY)[0]
        mark(
            session,
            meeting_id=committee.id or 0,
            member_id=secretary.id or 0,
            status=AttendanceStatus.PRESENT,
            at=NOW,
        )
        outbox.enqueue(
            session,
            target=Target("console", "local", "office-group", True),
            reply=Reply("清单"),
            dedupe_key="guide:x",
            kind="guide",
            org_id=office.id,
            batch=f"guide:{MONTH}:{office.id}:1",
        )
        view = _build(session, SECRETARY)
    (row,) = view.rows
    held = {k.kind.value: k.held for k in row.kinds}
    assert held == {"支委会": 1, "党小组会": 0, "主题党日": 0, "支部党员大会": 0, "党课": 1}
    assert row.done == 2 and row.behind
    assert len(row.guide) == 1 and row.guide_sent == 0  # queued, not yet sent
    assert row.attendance is not None and 0 < row.attendance < 1  # one of the committee signed in


@pytest.mark.usefixtures("demo")
def test_the_district_sees_every_branch_and_can_filter_and_sort(engine: Engine) -> None:
    with session_scope(engine) as session:
        every = _build(session, DISTRICT)
        assert {r.branch.name for r in every.rows} == {OFFICE, GRID, RETIRED}
        assert [r.branch.name for r in _build(session, DISTRICT, search="离退休").rows] == [RETIRED]
        retired = _org(session, RETIRED)
        for kind in ("支委会", "党小组会", "主题党日", "支部党员大会", "党课"):
            create_meeting(
                session, org_id=retired.id or 0, kind=kind, starts_at=datetime(2027, 2, 3, tzinfo=SHANGHAI)
            )
        behind = _build(session, DISTRICT, behind_only=True)
        assert RETIRED not in {r.branch.name for r in behind.rows} and behind.total == 2
        assert _build(session, DISTRICT, sort="done").rows[-1].branch.name == RETIRED


def add_branches(session: Session, count: int, *, first: int, parent: str = "幸福街道党工委") -> None:
    top = org_named(session, parent)[0]
    for n in range(first, first + count):
        branch = Organization(name=f"测试第{n}党支部", kind=OrgKind.BRANCH, parent_id=top.id)
        session.add(branch)
        session.flush()
        group = Organization(name="第一党小组", kind=OrgKind.GROUP, parent_id=branch.id)
        session.add(group)
        session.flush()
        for i, role in enumerate((Role.SECRETARY, Role.MEMBER, Role.MEMBER)):
            member = Member(
                name=f"党员{n}-{i}",
                org_id=branch.id or 0,
                group_id=group.id,
                role=role,
                joined_on=date(2026, 3, 1),
                status=MemberStatus.PROBATIONARY,
            )
            member.sync_join_md()
            session.add(member)
        session.flush()
        for month in (1, 2):
            meeting = create_meeting(
                session,
                org_id=group.id or 0,
                kind="党小组会",
                starts_at=datetime(2027, month, 5, 15, tzinfo=SHANGHAI),
            )
            mark(
                session,
                meeting_id=meeting.id or 0,
                member_id=member.id or 0,
                status=AttendanceStatus.PRESENT,
                at=NOW,
            )


GRIDS = ("第十网格党支部", "第三网格党支部", "第二十一网格党支部")


@pytest.mark.usefixtures("demo")
def test_numbered_branches_are_listed_in_their_numbers_order(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_branches(session, 11, first=1)  # 测试第1党支部 … 测试第11党支部
        top = _org(session, "幸福街道党工委")
        for name in GRIDS:
            session.add(Organization(name=name, kind=OrgKind.BRANCH, parent_id=top.id))
        session.flush()
        names = [r.branch.name for r in _build(session, DISTRICT, by=overview.FLAT).rows]
    numbered = [n for n in names if n.startswith("测试第")]
    assert numbered == [f"测试第{n}党支部" for n in range(1, 12)]
    grids = [n for n in names if n in GRIDS]
    assert grids == ["第三网格党支部", "第十网格党支部", "第二十一网格党支部"]


def _queries(engine: Engine, **options: object) -> int:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        with session_scope(engine) as session:
            view = _build(session, DISTRICT, **options)
            assert view.rows and all(r.kinds and r.year for r in view.rows)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.usefixtures("demo")
def test_the_overview_and_its_chart_cost_the_same_queries_for_3_or_30_branches(engine: Engine) -> None:
    with session_scope(engine) as session:
        top = _org(session, "幸福街道党工委").id
    options = [{"by": overview.FLAT}, {"by": overview.GROUPED, "opened": top}]
    few = [_queries(engine, **o) for o in options]
    with session_scope(engine) as session:
        add_branches(session, 27, first=0)
    assert [_queries(engine, **o) for o in options] == few


@pytest.mark.usefixtures("demo")
def test_the_chart_shows_each_month_of_the_year_as_the_table_counts_it(engine: Engine) -> None:
    with session_scope(engine) as session:
        office = _org(session, OFFICE)
        for month, kind in ((1, "支委会"), (1, "主题党日"), (2, "支委会"), (2, "党课")):
            create_meeting(
                session, org_id=office.id or 0, kind=kind, starts_at=datetime(2027, month, 8, tzinfo=SHANGHAI)
            )
        view = _build(session, SECRETARY)
        january = _build(session, SECRETARY, month="2027-01")
    (row,) = view.rows
    assert [c.month for c in row.year] == ["2027-01", "2027-02"] == view.months
    # 支委会, 党小组会, 主题党日 monthly; 支部党员大会, 党课 so far this quarter
    assert [(c.done, c.required) for c in row.year] == [(2, 5), (2, 5)]
    assert row.year[-1].done == row.done and january.rows[0].done == row.year[0].done
    assert [(c.done, c.required) for c in view.trend] == [(2, 5), (2, 5)]


@pytest.mark.usefixtures("demo")
def test_a_big_district_sees_one_row_per_committee_and_opens_one(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_branches(session, 60, first=0, parent="和平社区党委")
        community = _org(session, "和平社区党委").id
        view = _build(session, DISTRICT)
        opened = _build(session, DISTRICT, opened=community, sort="done")
        found = _build(session, DISTRICT, search="测试第7")
        whole = _build(session, DISTRICT, page=None)
    assert {g.name: len(g.branches) for g in view.groups} == {"幸福街道党工委": 2, "和平社区党委": 61}
    assert view.rows == [] and view.total == 63
    community_row = next(g for g in view.groups if g.org_id == community)
    assert community_row.year[-1].done == 60 and community_row.year[-1].required == 61 * 5
    assert opened.opened == community and len(opened.rows) == overview.PAGE_SIZE and opened.pages == 2
    assert {r.parent for r in opened.rows} == {"和平社区党委"}
    assert not found.groups and {r.name for r in found.rows} == {"测试第7党支部"}  # a search lists branches
    assert len(whole.rows) == 63  # the download has every branch


@pytest.mark.usefixtures("demo")
def test_a_month_that_is_no_month_is_refused(engine: Engine) -> None:
    with session_scope(engine) as session, pytest.raises(Exception, match="2026-12"):
        _build(session, DISTRICT, month="2027-13")


@pytest.mark.usefixtures("demo")
def test_the_whole_table_downloads_as_xlsx(site: Site) -> None:
    with site.login(DISTRICT) as client:
        response = client.get("/console/overview.xlsx", params={"month": "2026-11", "sort": "done"})
        assert client.get("/console/overview.xlsx").status_code == 200  # this month
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet is not None and sheet.title == "2026-11"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("上级组织", "支部", "清单送达")
    assert {r[1] for r in rows[1:]} == {OFFICE, GRID, RETIRED}
