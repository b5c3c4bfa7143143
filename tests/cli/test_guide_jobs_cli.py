"""`zhibu guide import/show` from Markdown, YAML and xlsx, and `zhibu jobs list/run`."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from bot.core.clock import SHANGHAI
from handlers import texts
from storage.db import session_scope
from storage.jobruns import mark_covered
from storage.models import ChatBinding, Organization
from tests.schedules import world as demo

runner = CliRunner()

MARKDOWN = """# 2026年12月组织生活清单
## 总体要求
坚持“三会一课”，做到定时间、定地点、定内容。
## 一、主题：学习全会精神
- 内容：集中学习二十届四中全会精神
- 形式：支部党员大会
- 时间要求：12月20日前
## 二、主题：过政治生日
- 内容：为本月入党的同志集体过政治生日，重温入党誓词
- 形式：主题党日
"""

YAML = """title: 第一党支部十二月补充
requirements: 结合社区工作
items:
  - 主题: 志愿服务
    内容: 到社区开展冬季送温暖
    形式: 主题党日
    时间要求: 12月31日前
"""


@pytest.fixture
def district(cli_env: Path, engine: Engine) -> Path:
    with session_scope(engine) as session:
        demo.build(session)
    return cli_env


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_a_branch_sees_the_district_guide_then_its_own_items(district: Path) -> None:
    (district / "guide.md").write_text(MARKDOWN, encoding="utf-8")
    (district / "own.yaml").write_text(YAML, encoding="utf-8")
    _ok("guide", "import", "guide.md", "--org", "示范街道党工委", "--month", "2026-12")
    _ok("guide", "import", "own.yaml", "--org", "第一党支部", "--month", "2026-12")
    shown = _ok("guide", "show", "--month", "2026-12", "--org", "第一党支部")
    assert shown.index("学习全会精神") < shown.index("本支部补充事项") < shown.index("志愿服务")
    assert "时间要求：12月20日前" in shown and "总体要求：坚持" in shown
    other = _ok("guide", "show", "--month", "2026-12", "--org", "第二党支部")
    assert "学习全会精神" in other and "志愿服务" not in other


def test_xlsx_rows_are_read_and_a_row_without_a_topic_is_named(district: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["标题", "一月清单"],
        ["总体要求", "按时开展"],
        ["主题", "内容", "形式", "时间要求"],
        ["学习党章", "通读党章", "党小组会", "1月15日前"],
        [None, "缺了主题", "", ""],
    ):
        sheet.append(row)
    book.save(district / "bad.xlsx")
    result = runner.invoke(
        app, ["guide", "import", "bad.xlsx", "--org", "示范街道党工委", "--month", "2027-01"]
    )
    assert result.exit_code == 3 and "第5行" in result.output and "主题" in result.output
    sheet.delete_rows(5)
    book.save(district / "good.xlsx")
    assert "1 项" in _ok("guide", "import", "good.xlsx", "--org", "示范街道党工委", "--month", "2027-01")


def test_a_bad_month_and_an_unknown_org_are_refused(district: Path) -> None:
    (district / "guide.md").write_text(MARKDOWN, encoding="utf-8")
    bad_month = runner.invoke(
        app, ["guide", "import", "guide.md", "--org", "示范街道党工委", "--month", "2026-13"]
    )
    assert bad_month.exit_code == 3 and "2026-12" in bad_month.output
    no_org = runner.invoke(app, ["guide", "import", "guide.md", "--org", "不存在党委", "--month", "2026-12"])
    assert no_org.exit_code == 3 and "找不到组织" in no_org.output


def test_jobs_list_and_run(district: Path) -> None:
    listed = _ok("jobs", "list")
    for job_id in ("guides", "birthdays", "meeting_reminders", "meeting_plans", "compliance"):
        assert job_id in listed
    assert "queued" in _ok("jobs", "run", "birthdays")
    unknown = runner.invoke(app, ["jobs", "run", "nope"])
    assert unknown.exit_code == 2 and "birthdays" in unknown.output


def test_plans_take_chinese_day_forms_and_refuse_nonsense(district: Path) -> None:
    added = _ok(
        "plans",
        "add",
        "--org",
        "第一党支部",
        "--kind",
        "主题党日",
        "--day",
        "每月第一个周五",
        "--at",
        "14:30",
    )
    assert "1st fri" in added
    assert "主题党日" in _ok("plans", "list")
    bad = runner.invoke(app, ["plans", "add", "--org", "第一党支部", "--kind", "主题党日", "--day", "某天"])
    assert bad.exit_code == 2 and "某天" in bad.output
    assert "meeting_plans: " in _ok("jobs", "run", "meeting_plans")


def test_a_past_month_is_stored_but_not_sent(district: Path) -> None:
    (district / "guide.md").write_text(MARKDOWN.replace("2026年12月", ""), encoding="utf-8")
    out = _ok("guide", "import", "guide.md", "--org", "示范街道党工委", "--month", "2020-01")
    assert "not sent" in out


@pytest.mark.parametrize(
    ("title", "named"),
    [("2026年12月组织生活清单", "2026年12月"), ("十二月份组织生活清单", "12月"), ("12月工作安排", "12月")],
)
def test_a_guide_whose_title_names_another_month_is_refused_and_nothing_stored(
    district: Path, title: str, named: str
) -> None:
    (district / "guide.md").write_text(MARKDOWN.replace("2026年12月组织生活清单", title), encoding="utf-8")
    refused = runner.invoke(
        app, ["guide", "import", "guide.md", "--org", "示范街道党工委", "--month", "2027-01"]
    )
    assert refused.exit_code == 3 and named in refused.output and "2027年1月" in refused.output
    assert "学习全会精神" not in _ok("guide", "show", "--month", "2027-01", "--org", "第一党支部")


def test_a_guide_for_a_month_whose_send_time_passed_says_when_it_goes_out(
    district: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(engine) as session:  # no branch has a bound group yet
        for binding in session.exec(select(ChatBinding)):
            session.delete(binding)
    monkeypatch.setenv("ZHIBU_SCHEDULES__GUIDE_DAY", "1")
    monkeypatch.setenv("ZHIBU_SCHEDULES__GUIDE_AT", "00:00")
    month = f"{datetime.now(SHANGHAI):%Y-%m}"
    (district / "guide.md").write_text(MARKDOWN.replace("2026年12月", ""), encoding="utf-8")
    out = _ok("guide", "import", "guide.md", "--org", "示范街道党工委", "--month", month)
    assert "已过" in out and "补发" in out and "将于" not in out


def test_a_guide_titled_like_the_header_shows_its_title_once(district: Path) -> None:
    (district / "guide.md").write_text(MARKDOWN, encoding="utf-8")
    _ok("guide", "import", "guide.md", "--org", "示范街道党工委", "--month", "2026-12")
    shown = _ok("guide", "show", "--month", "2026-12", "--org", "第一党支部")
    assert shown.count("2026年12月组织生活清单") == 1 and "示范街道党工委发布" in shown


def test_adding_a_plan_says_what_it_created_and_what_comes_next(district: Path) -> None:
    now = datetime.now(SHANGHAI)
    day = f"{now.day}日"
    added = _ok("plans", "add", "--org", "第一党支部", "--kind", "支委会", "--day", day, "--at", "23:59")
    assert f"每月{now.day}日 23:59" in added
    if now.time() < time(23, 59):  # today's meeting is still ahead: it is made now, and said so
        assert "已创建1次会议" in added and "（今天 / today）" in added
        assert texts.cn_datetime(now.date(), "23:59") in added
    assert "之后 / then:" in added and "各提前21天创建" in added
    listed = _ok("plans", "list")
    assert "第一党支部" in listed and f"每月{now.day}日 23:59" in listed
    _ok("plans", "add", "--org", "第一党支部", "--kind", "主题党日", "--day", "每月第一个周五")
    assert "每月第一个周五 14:30" in _ok("plans", "list")


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--day", "某天", "日期“某天”看不懂"),
        ("--months", "13", "月份“13”看不懂"),
        ("--at", "25:00", "时间“25:00”看不懂"),
        ("--day", "31", "没有这一天"),
        ("--kind", "年会", "没有“年会”这种会议"),
    ],
    ids=["day", "months", "at", "never", "kind"],
)
def test_a_bad_plan_is_refused_in_plain_words(district: Path, option: str, value: str, said: str) -> None:
    args = {"--kind": "主题党日", "--day": "20", "--months": "2", "--at": "14:30", option: value}
    options = [x for pair in args.items() for x in pair]
    result = runner.invoke(app, ["plans", "add", "--org", "第一党支部", *options])
    assert result.exit_code == 2 and said in result.output and " / " in result.output
    assert "Unrecognized" not in result.output and "Error validating" not in result.output


def test_running_birthdays_before_their_time_says_so_and_now_sends_them(
    district: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIBU_SCHEDULES__BIRTHDAYS_AT", "23:59")
    today = datetime.now(SHANGHAI).date()
    with session_scope(engine) as session:  # the scheduler covered yesterday; one member joined on this day
        mark_covered(session, job_id="birthdays", day=today - timedelta(days=1), now=datetime.now(SHANGHAI))
        branch = session.exec(select(Organization).where(Organization.name == "第一党支部")).one()
        world = demo.World(branch, branch, branch, branch)
        demo.add_member(session, world, "周红", branch=branch, joined=today.replace(year=2000), bind=True)
    if datetime.now(SHANGHAI).time() < time(23, 59):
        early = _ok("jobs", "run", "birthdays")
        assert "queued 0" in early and "今天的要到 23:59 才运行" in early and "--now" in early
    sent = _ok("jobs", "run", "birthdays", "--now")
    assert "queued 0" not in sent and "还没到时间" not in sent
    assert "今天的已经运行过" in _ok("jobs", "run", "birthdays")
