from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import to_excel
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.core.errors import ZhibuError
from storage.db import session_scope
from storage.models import Member, MemberStatus, Organization, OrgKind
from storage.roster.importer import ImportSummary, RosterInvalid, import_roster
from tests.fakes.clock import FakeClock
from tests.roster_files import HEADER, write_csv, write_xlsx
from tests.roster_files import SAMPLE as ROWS

TOP = "幸福街道党工委"


def run(engine: Engine, path: Path, clock: FakeClock, org: str | None = TOP) -> ImportSummary:
    with session_scope(engine) as session:
        return import_roster(session, path=path, now=clock.now(), org_ref=org)


def failing(engine: Engine, path: Path, clock: FakeClock, org: str | None = TOP) -> RosterInvalid:
    with pytest.raises(RosterInvalid) as caught:
        run(engine, path, clock, org)
    return caught.value


def members(engine: Engine) -> dict[str, Member]:
    with Session(engine) as session:
        return {m.name: m for m in session.exec(select(Member))}


def snapshot(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as session:
        orgs = [(o.name, o.parent_id) for o in session.exec(select(Organization))]
        people = [
            tuple(m.model_dump(exclude={"created_at", "updated_at"}).items())
            for m in session.exec(select(Member))
        ]
        return sorted(orgs) + sorted(people, key=str)  # type: ignore[return-value]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_any_common_encoding_builds_the_tree_and_the_roster(
    engine: Engine, clock: FakeClock, tmp_path: Path, encoding: str
) -> None:
    summary = run(engine, write_csv(tmp_path / "名册.csv", ROWS, encoding=encoding), clock)
    assert (summary.added, summary.updated, summary.unchanged) == (3, 0, 0)
    assert summary.orgs_created == ["第一党支部", "第一党小组", "第二党小组", "第二党支部"]
    people = members(engine)
    zhang, li, wang = people["张建华"], people["李秀英"], people["王小明"]
    assert zhang.role == "书记" and zhang.status == MemberStatus.FULL and zhang.phone == "13900000001"
    assert (
        li.joined_on == date(2008, 6, 20)
        and (li.join_month, li.join_day) == (6, 20)
        and li.phone == "13900000002"
    )
    assert wang.status == MemberStatus.PROBATIONARY and wang.role == "党员" and wang.phone is None
    with Session(engine) as session:
        group = session.get(Organization, zhang.group_id)
        branch = session.get(Organization, zhang.org_id)
        assert group is not None and branch is not None
        assert group.kind == OrgKind.GROUP and group.parent_id == branch.id and branch.kind == OrgKind.BRANCH


def test_xlsx_with_serial_numbers_real_date_cells_and_a_title_row(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    rows = [
        (
            "赵一",
            "男",
            date(1970, 1, 5),
            int(to_excel(date(1998, 7, 1))),
            to_excel(date(1999, 7, 1)),
            "第一党支部",
            "",
            "",
            13900000011,
        ),
        (
            "钱二",
            "女",
            "1990.2.3",
            date(2015, 12, 1),
            "2016/12/2",
            "和平社区党委/第一网格党支部",
            "第一微网格党小组",
            "",
            "13900000012",
        ),
        ("孙三", "男", None, "x", None, "第一党支部", None, None, None),
    ]
    path = write_xlsx(tmp_path / "名册.xlsx", rows, title="幸福街道党员名册（2026年）")
    error = failing(engine, path, clock)
    assert [(e.row, e.column) for e in error.errors] == [(5, "入党日期")]  # title row 1, header row 2
    write_xlsx(path, rows[:2], title="幸福街道党员名册（2026年）")
    run(engine, path, clock)
    people = members(engine)
    assert people["赵一"].joined_on == date(1998, 7, 1) and people["赵一"].full_on == date(1999, 7, 1)
    assert people["赵一"].phone == "13900000011" and people["赵一"].birth_date == date(1970, 1, 5)
    with Session(engine) as session:
        grid = session.get(Organization, people["钱二"].org_id)
        micro = session.get(Organization, people["钱二"].group_id)
        assert grid is not None and micro is not None and grid.kind == OrgKind.GRID_BRANCH
        assert micro.kind == OrgKind.MICRO_GRID_GROUP
        parent = session.get(Organization, grid.parent_id)
        assert (
            parent is not None
            and parent.name == "和平社区党委"
            and parent.kind == OrgKind.COMMUNITY_COMMITTEE
        )


BAD = [
    ("", "男", "", "2001-07-01", "", "第一党支部", "", "", ""),  # row 2: 姓名 missing
    ("甲", "男", "", "", "", "第一党支部", "", "", ""),  # row 3: 入党日期 missing
    ("乙", "男", "", "2001-02-30", "", "第一党支部", "", "", ""),  # row 4: no such day
    ("丙", "男", "", "2027-01-01", "", "第一党支部", "", "", ""),  # row 5: in the future
    ("丁", "男", "", "2001-07-01", "2000-07-01", "第一党支部", "", "", ""),  # row 6: 转正 before 入党
    ("戊", "男", "", "2001-07-01", "2004-07-01", "第一党支部", "", "", ""),  # row 7: 转正 impossibly late
    ("己", "男", "", "2001-07-01", "", "第一党支部", "", "", "1390000"),  # row 8: bad phone
    ("庚", "男", "", "2001-07-01", "2002-07-01", "第一党支部", "", "", "13900000001"),  # row 9: fine
    ("辛", "男", "", "2001-07-01", "2002-07-01", "第一党支部", "", "", "139 0000 0001"),  # row 10: phone of 9
    ("庚", "男", "", "2001-07-01", "", "第一党支部", "", "", ""),  # row 11: same 姓名 + 入党日期 as 9
    ("壬", "男", "2010-01-01", "2001-07-01", "", "第一党支部", "", "", ""),  # row 12: born after joining
    ("癸", "不详", "", "2001-07-01", "", "第一党支部", "", "", ""),  # row 13: bad gender
]
EXPECTED = [
    (2, "姓名", "必填"),
    (3, "入党日期", "必填"),
    (4, "入党日期", "没有这一天"),
    (5, "入党日期", "还没到"),
    (6, "转正日期", "早于入党日期"),
    (7, "转正日期", "最多延长1年"),
    (8, "手机号码", "11位"),
    (10, "手机号码", "第9行"),
    (11, "姓名", "第9行"),
    (12, "出生日期", "晚于入党日期"),
    (13, "性别", "男"),
]


def test_every_error_names_row_column_and_reason_and_nothing_is_imported(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    error = failing(engine, write_csv(tmp_path / "bad.csv", BAD), clock)
    found = [(e.row, e.column, e.reason) for e in error.errors]
    assert len(found) == len(EXPECTED), found
    for (row, column, reason), (want_row, want_column, fragment) in zip(found, EXPECTED, strict=True):
        assert (row, column) == (want_row, want_column) and fragment in reason, (row, column, reason)
    assert snapshot(engine) == []


def test_an_error_in_the_last_row_leaves_the_database_untouched(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    run(engine, write_csv(tmp_path / "v1.csv", ROWS), clock)
    before = snapshot(engine)
    changed = [
        (*ROWS[0][:7], "副书记", ROWS[0][8]),
        ("新人", "女", "", "2020-01-01", "2021-01-02", "第三党支部", "", "", ""),
    ]
    broken = [*changed, ("坏行", "男", "", "2020-13-01", "", "第三党支部", "", "", "")]
    error = failing(engine, write_csv(tmp_path / "v2.csv", broken), clock)
    assert [e.row for e in error.errors] == [4]
    assert snapshot(engine) == before


def test_reimport_is_idempotent_and_a_corrected_file_updates_only_what_changed(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "名册.csv", ROWS)
    run(engine, path, clock)
    again = run(engine, path, clock)
    assert (again.added, again.updated, again.unchanged, again.orgs_created) == (0, 0, 3, [])
    first_ids = {name: m.id for name, m in members(engine).items()}
    corrected = [
        (
            "张建华",
            "男",
            "1968-03-02",
            "1995-07-01",
            "1996-07-01",
            "第二党支部",
            "",
            "书记",
            "13900000001",
        ),  # moved
        (
            "李秀英",
            "女",
            "1985/5/6",
            "2008年6月21日",
            "2009.06.22",
            "第一党支部",
            "第二党小组",
            "组织委员",
            "13900000002",
        ),
        ("王小明", "男", "", "20260310", "", "第二党支部", "", "", "13900000003"),  # phone added
    ]
    summary = run(engine, write_csv(path, corrected), clock)
    assert (summary.added, summary.updated, summary.unchanged) == (0, 3, 0)
    people = members(engine)
    assert {name: m.id for name, m in people.items()} == first_ids
    assert (
        people["李秀英"].joined_on == date(2008, 6, 21) and people["李秀英"].join_day == 21
    )  # matched by phone
    assert people["张建华"].group_id is None and people["王小明"].phone == "13900000003"


def test_empty_cells_do_not_erase_what_is_known(engine: Engine, clock: FakeClock, tmp_path: Path) -> None:
    run(engine, write_csv(tmp_path / "a.csv", ROWS), clock)
    sparse = [("张建华", "", "", "1995-07-01", "", "第一党支部", "第一党小组", "", "")]
    assert run(engine, write_csv(tmp_path / "b.csv", sparse), clock).unchanged == 1
    zhang = members(engine)["张建华"]
    assert zhang.phone == "13900000001" and zhang.full_on == date(1996, 7, 1) and zhang.role == "书记"


def test_header_variants_are_understood_and_unknown_columns_are_named(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    header = ("党员姓名", "入党时间", "转正时间", "支部名称", "联系电话", "身份证号", "备注")
    rows = [("周六", "2010-07-01", "2011-07-01", "第一党支部", "13900000021", "110101...", "")]
    summary = run(engine, write_csv(tmp_path / "v.csv", rows, header=header), clock)
    assert summary.added == 1 and members(engine)["周六"].phone == "13900000021"
    assert [(w.row, w.column) for w in summary.warnings] == [(1, "身份证号、备注")]


def test_missing_required_columns_are_reported_against_the_header(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    error = failing(engine, write_csv(tmp_path / "h.csv", [("吴七",)], header=("姓名", "手机")), clock)
    assert [(e.row, e.column) for e in error.errors] == [(1, "入党日期")]


def test_late_but_possible_full_dates_warn_about_an_extended_probation(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    rows = [("郑八", "女", "", "2018-03-01", "2019-09-01", "第一党支部", "", "", "")]
    summary = run(engine, write_csv(tmp_path / "x.csv", rows), clock)
    assert summary.added == 1
    assert [(w.row, w.column) for w in summary.warnings] == [(2, "转正日期")]
    assert "延长" in summary.warnings[0].reason


def test_unknown_roles_are_kept_with_a_warning(engine: Engine, clock: FakeClock, tmp_path: Path) -> None:
    rows = [("冯九", "男", "", "2018-03-01", "2019-03-01", "第一党支部", "", "宣传员", "")]
    summary = run(engine, write_csv(tmp_path / "r.csv", rows), clock)
    assert members(engine)["冯九"].role == "宣传员" and "宣传员" in summary.warnings[0].reason


def test_a_phone_already_owned_by_another_member_is_an_error(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    run(engine, write_csv(tmp_path / "a.csv", ROWS), clock)
    rows = [("陈十", "男", "", "2012-07-01", "2013-07-01", "第一党支部", "", "", "13900000001")]
    rows_other = [("王小明", "男", "", "20260310", "", "第二党支部", "", "", "13900000001")]
    assert (
        run(engine, write_csv(tmp_path / "b.csv", rows), clock).updated == 1
    )  # same phone = same person, renamed
    error = failing(engine, write_csv(tmp_path / "c.csv", rows_other), clock)
    assert error.errors[0].row == 2 and "陈十" in error.errors[0].reason


def test_the_parent_defaults_to_the_only_root_and_must_exist_when_there_are_several(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", ROWS)
    with pytest.raises(Exception, match="--org"):
        run(engine, path, clock, org=None)
    run(engine, path, clock)
    assert run(engine, path, clock, org=None).unchanged == 3
    with session_scope(engine) as session:
        session.add(Organization(name="另一个党委", kind=OrgKind.COMMITTEE))
    with pytest.raises(Exception, match="另一个党委"):
        run(engine, path, clock, org=None)
    with pytest.raises(Exception, match="没有这个组织"):
        run(engine, path, clock, org="没有这个组织")


def test_a_single_branch_roster_can_go_straight_into_that_branch(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    run(engine, write_csv(tmp_path / "a.csv", ROWS), clock)
    rows = [("褚十一", "男", "", "2012-07-01", "2013-07-01", "", "第一党小组", "", "")]
    run(engine, write_csv(tmp_path / "b.csv", rows), clock, org="第一党支部")
    with Session(engine) as session:
        branch = session.get(Organization, members(engine)["褚十一"].org_id)
        assert branch is not None and branch.name == "第一党支部"
    error = failing(engine, write_csv(tmp_path / "b.csv", rows), clock)
    assert error.errors[0].column == "所在党支部" and TOP in error.errors[0].reason


def test_a_branch_name_used_twice_below_the_parent_must_be_written_as_a_path(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    rows = [
        ("甲一", "男", "", "2012-07-01", "2013-07-01", "和平社区党委/第一党支部", "", "", ""),
        ("乙一", "男", "", "2012-07-01", "2013-07-01", "幸福社区党委/第一党支部", "", "", ""),
    ]
    run(engine, write_csv(tmp_path / "a.csv", rows), clock)
    vague = [("丙一", "男", "", "2012-07-01", "2013-07-01", "第一党支部", "", "", "")]
    error = failing(engine, write_csv(tmp_path / "b.csv", vague), clock)
    reason = error.errors[0].reason
    assert "和平社区党委/第一党支部" in reason and "幸福社区党委/第一党支部" in reason
    assert run(engine, write_csv(tmp_path / "c.csv", [rows[0]]), clock).unchanged == 1


def _patch_sheet(path: Path, old: str, new: str) -> Path:
    """Rewrite one piece of the sheet's XML, for cells openpyxl will not write (a formula with its result)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert parts[sheet].count(old.encode()) == 1, parts[sheet]
    parts[sheet] = parts[sheet].replace(old.encode(), new.encode())
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_a_formula_cell_is_an_error_naming_row_and_column_not_its_cached_result(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    rows = [list(row) for row in ROWS]
    rows[1][0] = "=TRIM(K3)"  # Excel kept "李秀英" beside it: read as that, a stale lookup would go unseen
    rows[2][3] = "=DATE(2026,3,10)"  # no cached result at all, as openpyxl and many programs write it
    path = _patch_sheet(
        write_xlsx(tmp_path / "名册.xlsx", rows),
        '<c r="A3"><f>TRIM(K3)</f><v /></c>',
        '<c r="A3" t="str"><f>TRIM(K3)</f><v>李秀英</v></c>',
    )
    error = failing(engine, path, clock)
    found = [(e.row, e.column) for e in error.errors]
    assert found == [(3, "姓名"), (4, "入党日期")] and all("公式" in e.reason for e in error.errors)
    assert snapshot(engine) == []


def test_text_that_only_looks_like_a_formula_is_kept_as_text_outside_the_name(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (HEADER, *ROWS):
        sheet.append(list(row))
    sheet["G4"] = "=第三党小组"  # a string cell, as Excel writes text typed after a leading apostrophe
    sheet["G4"].data_type = "s"
    book.save(tmp_path / "名册.xlsx")
    run(engine, tmp_path / "名册.xlsx", clock)
    with Session(engine) as session:
        group = session.get(Organization, members(engine)["王小明"].group_id)
        assert group is not None and group.name == "=第三党小组"


def test_the_first_errors_are_listed_and_the_rest_only_counted(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    rows = [(f"党员{n}", "男", "", "不是日期", "", "第一党支部", "", "", "1390000") for n in range(500)]
    error = failing(engine, write_csv(tmp_path / "名册.csv", rows), clock)
    assert len(error.errors) == 200 and error.errors[-1].row == 101  # two errors a row
    assert (error.errors.total, error.errors.unlisted_rows) == (1000, 400)
    assert "1000 处错误" in str(error)


def _placed(name: str, branch: str, group: str = "") -> tuple[str, ...]:
    """A full member (入党 2012, 转正 2013) with only the cells that place them filled in."""
    return (name, "男", "", "2012-07-01", "2013-07-01", branch, group, "", "")


def test_a_slash_separates_levels_so_a_name_with_one_is_refused_not_split(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    rows = [_placed("甲一", "机关第一/第二联合党支部"), _placed("乙一", "第一党支部", "一/二组")]
    error = failing(engine, write_csv(tmp_path / "a.csv", rows[1:]), clock)
    assert [(e.row, e.column) for e in error.errors] == [(2, "党小组")] and "/" in error.errors[0].reason
    error = failing(engine, write_csv(tmp_path / "b.csv", rows[:1]), clock)
    assert [(e.row, e.column) for e in error.errors] == [(2, "所在党支部")]
    assert "机关第一" in error.errors[0].reason and snapshot(engine) == []


def test_a_path_may_start_at_the_parent_and_new_committees_are_built_as_levels(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    rows = [
        _placed("甲一", f"{TOP}/第一党支部"),
        _placed("乙一", "第一党支部"),
        _placed("丙一", f"{TOP}/机关党总支/第二党支部"),
    ]
    run(engine, write_csv(tmp_path / "a.csv", rows), clock)
    with Session(engine) as session:
        every = list(session.exec(select(Organization)))
    orgs = {o.name: o for o in every}
    assert sorted(o.name for o in every) == sorted([TOP, "第一党支部", "机关党总支", "第二党支部"])
    assert orgs["第一党支部"].parent_id == orgs["机关党总支"].parent_id == orgs[TOP].id
    assert orgs["机关党总支"].kind == OrgKind.GENERAL_BRANCH


def test_a_new_top_level_organization_cannot_have_a_slash_in_its_name(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    with pytest.raises(ZhibuError, match="/"):
        run(engine, write_csv(tmp_path / "a.csv", ROWS), clock, org="幸福街道/党工委")
    assert snapshot(engine) == []
