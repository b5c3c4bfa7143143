"""The console's 党员名册 over real HTTP: filters, importing all or nothing, binding codes."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import func, select

from storage.db import session_scope
from storage.demo import OFFICE
from storage.members import by_name
from storage.models import AuditLog, Member
from tests.roster_files import write_xlsx
from tests.web.conftest import DISTRICT, MEMBER, SECRETARY, Site, csrf_of

NEW = [
    ("赵新民", "男", "1990-01-02", "2015-07-01", "2016-07-01", OFFICE, "", "", "139 0000 0101"),
    ("钱晓燕", "女", "1992-05-06", "2018-06-20", "2019-06-20", OFFICE, "", "", "139 0000 0102"),
]
BAD = ("孙立", "男", "1991-03-04", "2008年13月40日", "", OFFICE, "", "", "")


def roster_with_a_bad_row(folder: Path) -> Path:
    """Two good rows, then a third (Excel's row 4) whose 入党日期 is no date."""
    return write_xlsx(folder / "名册.xlsx", [*NEW, BAD])


def _members(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(Member)).one())


def test_a_roster_with_one_bad_row_imports_nothing_and_shows_the_row_and_column(
    site: Site, engine: Engine, tmp_path: Path
) -> None:
    before = _members(engine)
    with site.login(DISTRICT) as client:
        token = csrf_of(client.get("/console/members").text)
        path = roster_with_a_bad_row(tmp_path)
        shown = client.post(
            "/console/members/import", data={"csrf": token}, files={"file": (path.name, path.read_bytes())}
        )
    problems = shown.text[shown.text.index('id="problems"') :].split("</table>")[0]
    assert re.search(r"第 4 行</strong></td><td data-label=\"列\">入党日期</td>", problems)
    assert "没有导入任何数据" in shown.text
    assert _members(engine) == before


def test_a_good_roster_is_imported_and_audited(site: Site, engine: Engine, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "名册.xlsx", NEW)
    with site.login(DISTRICT) as client:
        token = csrf_of(client.get("/console/members").text)
        shown = client.post(
            "/console/members/import", data={"csrf": token}, files={"file": (path.name, path.read_bytes())}
        )
    assert "新增 2 人" in shown.text
    with session_scope(engine) as session:
        assert by_name(session, "赵新民")[0].org_id == by_name(session, SECRETARY)[0].org_id
        audit = session.exec(select(AuditLog).where(AuditLog.action == "roster_import")).one()
        assert audit.channel == "web" and "added=2" in audit.detail


def test_filters_not_bound_and_birthdays_this_month(site: Site, engine: Engine) -> None:
    with session_scope(engine) as session:
        office = by_name(session, MEMBER)[0]
        office.joined_on = office.joined_on.replace(month=11, day=5)
        office.sync_join_md()
        session.add(office)
    with site.login(SECRETARY) as client:
        november = client.get("/console/members?birthday=1").text
        unbound = client.get("/console/members?unbound=1").text
    assert MEMBER in november and "11月政治生日" in november
    rows = november[november.index('id="members"') :]
    assert all("-11-" in d for d in re.findall(r'data-label="入党日期">([^<]+)<', rows))
    assert "生成绑定码" in unbound and '<span class="ok">是</span>' not in unbound


def test_a_binding_code_for_a_member_and_not_for_another_branch(site: Site, engine: Engine) -> None:
    with session_scope(engine) as session:
        mine = by_name(session, MEMBER)[0].id
        theirs = session.exec(
            select(Member).where(Member.org_id != by_name(session, MEMBER)[0].org_id)
        ).first()
        assert theirs is not None
        other = theirs.id
    with site.login(SECRETARY) as client:
        token = csrf_of(client.get("/console/members").text)
        code = client.post(f"/console/members/{mine}/invite", data={"csrf": token})
        refused = client.post(f"/console/members/{other}/invite", data={"csrf": token})
    assert f"{MEMBER}同志的绑定码" in code.text
    assert refused.status_code == 403
