"""The console in a real browser: Playwright drives Debian's chromium (the machine cannot download
Playwright's own builds; scripts/test.sh installs chromium with apt-get when it runs as root).

Screenshots of every page at 375 px (the WeChat/WeCom in-app browser) and 1280 px land in
screenshots/console/ (git-ignored), to be looked at after a change to a template or the stylesheet.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine
from sqlmodel import col, delete, func, select

from bot.channels.robot import RobotAccount, RobotChannel
from bot.core.clock import SHANGHAI
from bot.sender import Sender
from handlers import texts
from schedules import guides, reminders
from storage.db import session_scope
from storage.demo import COMMUNITY, GRID, OFFICE, RETIRED
from storage.models import ChatBinding, Delivery, DeliveryStatus, Member
from storage.orgs import by_name as org_named
from tests.bot.outbox_world import sleeper
from tests.fakes.clock import FakeClock
from tests.fakes.robot_api import RobotApi
from tests.fakes.serve import serve
from tests.web.conftest import (
    DISTRICT,
    GUIDE,
    MEMBER,
    SECRETARY,
    Site,
    drop_the_demo_s_december_guide,
    held_lecture,
    queue_delivery,
    signed_in,
)
from tests.web.test_members import roster_with_a_bad_row
from tests.web.test_overview import add_branches

CHROMIUM = os.environ.get("ZHIBU_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[2] / "screenshots" / "console"
PHONE, DESKTOP = 375, 1280


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}: apt-get install chromium (scripts/test.sh does it as root)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def _page(browser: Browser, width: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
    return context.new_page()


def _login(browser: Browser, site: Site, name: str, width: int = DESKTOP) -> Page:
    page = _page(browser, width)
    page.goto(site.link(name))
    page.get_by_role("button", name="确认登录").click()
    page.wait_for_url("**/console/*")
    return page


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}-top.png"))  # the first screen, at a readable scale


def _scrolls_sideways(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"))


def test_log_in_through_a_link_and_see_the_overview(browser: Browser, site: Site) -> None:
    page = _login(browser, site, SECRETARY)
    assert "组织生活落实情况" in page.locator("h1").inner_text()
    assert page.locator("#overview tbody tr").count() == 1
    assert OFFICE in page.locator("#overview").inner_text()
    assert page.evaluate("typeof window.htmx") == "object"  # served by the app, allowed by the CSP


def test_a_used_link_is_refused(browser: Browser, site: Site) -> None:
    link = site.link(SECRETARY)
    first = _page(browser, PHONE)
    first.goto(link)
    first.get_by_role("button", name="确认登录").click()
    first.wait_for_url("**/console/")
    second = _page(browser, PHONE)
    response = second.goto(link)
    assert response is not None and response.status == 410
    assert texts.CONSOLE_LINK_PROBLEM["used"] in second.content()
    assert second.get_by_role("button", name="确认登录").count() == 0
    _shot(second, "link-used")


def test_a_plain_member_gets_403_on_the_roster(browser: Browser, site: Site) -> None:
    page = _login(browser, site, MEMBER, PHONE)
    assert page.url.endswith("/console/me")
    response = page.goto(f"{site.base}/console/members")
    assert response is not None and response.status == 403
    assert texts.CONSOLE_FORBIDDEN in page.content()
    _shot(page, "forbidden")


def test_a_post_without_the_csrf_token_gets_403(browser: Browser, site: Site, engine: Engine) -> None:
    failed = queue_delivery(engine, OFFICE, DeliveryStatus.FAILED, "errcode=45009")
    page = _login(browser, site, SECRETARY)
    forged = page.request.post(f"{site.base}/console/deliveries/{failed}/retry", form={"back": "/console/"})
    assert forged.status == 403 and texts.CONSOLE_CSRF in forged.text()
    page.goto(f"{site.base}/console/deliveries")
    page.get_by_role("button", name="重发").click()  # the page's own form carries the token
    page.wait_for_selector(".notice")
    assert texts.CONSOLE_RETRIED.format(count=1) in page.locator(".notice").inner_text()


def test_create_a_meeting_see_it_in_the_calendar_and_in_a_chat_reminder(
    browser: Browser, site: Site, engine: Engine
) -> None:
    page = _login(browser, site, SECRETARY, PHONE)
    page.get_by_role("link", name="会议").click()
    page.wait_for_url("**/console/meetings")
    page.get_by_label("类型").select_option("党课")
    page.get_by_label("日期").fill("2026-11-26")
    page.get_by_label("开始").fill("10:00")
    page.get_by_label("议题").fill("学习新修订的党章")
    page.get_by_role("button", name="安排").click()
    page.wait_for_selector(".notice")
    assert texts.CONSOLE_MEETING_CREATED in page.locator(".notice").inner_text()
    day = page.locator("#calendar > li", has_text="学习新修订的党章")
    assert "26" in day.locator(".date").inner_text() and "10:00 党课" in day.inner_text()
    assert not _scrolls_sideways(page)
    _shot(page, "meetings-arranged")
    with session_scope(engine) as session:  # the day before at 09:00 the reminder job runs
        reminders.run(datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI), session=session)
    page.goto(f"{site.base}/console/deliveries?kind=meeting_reminder")
    reminder = page.locator("#deliveries tbody tr", has_text="明天10:00召开党课")
    assert reminder.count() == 1 and "（群）" in reminder.inner_text() and "排队中" in reminder.inner_text()


def test_correct_an_attendance_row(browser: Browser, site: Site, engine: Engine) -> None:
    lecture = held_lecture(engine)
    signed_in(engine, lecture, MEMBER)
    page = _login(browser, site, SECRETARY, PHONE)
    page.goto(f"{site.base}/console/meetings/{lecture}")

    def save(status: str, reason: str, expected: str) -> None:
        row = page.locator("#attendance tbody tr", has_text=MEMBER)
        row.get_by_label(f"{MEMBER}的出勤").select_option(status)
        row.get_by_label(f"{MEMBER}的原因").fill(reason)
        row.get_by_role("button", name="保存").click()
        page.wait_for_selector(f".notice:has-text('{expected}')")

    save("leave", "外出培训", texts.CORRECT_LEAVE_SIGNED_IN.format(name=MEMBER, kind="党课"))
    save("absent", "外出培训，未请假", texts.CONSOLE_ATTENDANCE_SAVED)
    shown = page.locator("#attendance tbody tr", has_text=MEMBER).locator("td").nth(1).inner_text()
    assert "缺席" in shown and "外出培训，未请假" in shown
    _shot(page, "meeting-corrected")


def test_the_overview_at_375_px_has_no_horizontal_scroll(browser: Browser, site: Site) -> None:
    page = _login(browser, site, DISTRICT, PHONE)
    assert page.locator("#overview tbody tr").count() == 3
    heat = page.get_by_role("region", name="每月落实热力图")
    assert heat.is_visible() and heat.locator("tbody tr").count() == 4  # 全部 and each branch
    cell = heat.locator("tbody tr", has_text=OFFICE).locator("td").last
    assert heat.evaluate("e => e.scrollWidth > e.clientWidth")  # eleven months scroll inside the chart's box
    assert OFFICE in (cell.get_attribute("title") or "") and "落实" in (cell.get_attribute("title") or "")
    assert page.get_by_role("img", name="每月落实率").is_visible()
    assert not _scrolls_sideways(page)


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_a_big_district_opens_one_committee_at_a_time(
    browser: Browser, site: Site, engine: Engine, width: int
) -> None:
    with session_scope(engine) as session:
        add_branches(session, 60, first=0, parent=COMMUNITY)
    page = _login(browser, site, DISTRICT, width)
    committees = page.locator("#overview tr.group")
    assert committees.count() == 2 and page.locator("#overview tbody tr").count() == 2
    _shot(page, "overview-grouped")
    page.get_by_role("link", name=COMMUNITY).click()
    page.wait_for_url("**group=*")
    table = page.locator("#overview")
    assert "测试第0党支部" in table.inner_text() and GRID in table.inner_text()
    assert table.locator("tr.inner").count() == 50  # the first page of its 61 branches
    assert OFFICE not in table.inner_text()  # the other committee stays closed
    assert not _scrolls_sideways(page)
    _shot(page, "overview-opened")


def test_filtering_swaps_the_table_in_place(browser: Browser, site: Site) -> None:
    page = _login(browser, site, DISTRICT)
    page.get_by_role("searchbox", name="支部").fill("离退休")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**q=*")
    assert page.locator("#overview").inner_text().count("党支部") == 1
    assert (
        RETIRED in page.locator("#overview").inner_text()
        and GRID not in page.locator("#overview").inner_text()
    )


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_every_page_fits_and_is_photographed(
    browser: Browser, site: Site, engine: Engine, width: int
) -> None:
    queue_delivery(engine, OFFICE, DeliveryStatus.FAILED, "errcode=45009 接口调用超过限制，请明天再试")
    queue_delivery(engine, OFFICE, DeliveryStatus.PENDING)
    page = _login(browser, site, DISTRICT, width)
    for path, name in (
        ("/console/", "overview"),
        ("/console/deliveries", "deliveries"),
        ("/console/members", "members"),
        ("/console/audit", "audit"),
        ("/console/me", "me"),
        ("/console/meetings", "meetings"),
        ("/console/guides", "guides"),
        ("/console/broadcasts", "broadcasts"),
        ("/console/birthdays", "birthdays"),
        ("/console/kb?ask=支委会多久开一次", "knowledge"),
        (f"/console/meetings/{held_lecture(engine)}", "meeting"),
    ):
        page.goto(site.base + path)
        _shot(page, name)
        assert not _scrolls_sideways(page), f"{path} scrolls sideways at {width} px"
    login = _page(browser, width)
    login.goto(f"{site.base}/console/login")
    _shot(login, "login")
    assert not _scrolls_sideways(login)


def _bind_robot(engine: Engine, branch: str, account: str) -> None:
    """The branch's group chat becomes a WeCom group robot's."""
    with session_scope(engine) as session:
        org = org_named(session, branch)[0]
        assert org.id is not None
        session.execute(delete(ChatBinding).where(col(ChatBinding.org_id) == org.id))
        session.add(ChatBinding(channel="robot", account=account, chat_id=account, org_id=org.id))


def _send_robots(engine: Engine, channels: dict[tuple[str, str], RobotChannel]) -> None:
    """The outbox worker's rounds for the robots' chats, as `zhibu serve` runs them, once the rows are due."""
    with session_scope(engine) as session:
        due = session.exec(select(func.max(Delivery.next_try_at))).one()
    clock = FakeClock(due)
    sender = Sender(engine, channels, clock, sleep=sleeper(clock), rng=random.Random(7))

    async def rounds() -> None:
        try:
            while await sender.run_once():
                pass
        finally:
            for channel in channels.values():
                await channel.aclose()

    with ThreadPoolExecutor(1) as pool:  # Playwright's own loop runs in this thread
        pool.submit(asyncio.run, rounds()).result()


def test_publish_a_guide_to_two_branches_and_see_the_delivery_report(
    browser: Browser, site: Site, engine: Engine
) -> None:
    api = RobotApi(keys={"office-key"}, now=lambda: 0.0)
    _bind_robot(engine, OFFICE, "office")
    _bind_robot(engine, GRID, "grid")
    page = _login(browser, site, DISTRICT, PHONE)
    page.get_by_role("link", name="清单").click()
    page.wait_for_url("**/console/guides")
    page.locator("textarea[name=text]").fill(GUIDE)
    page.get_by_label(RETIRED).uncheck()
    page.get_by_role("button", name="预览").click()
    page.wait_for_selector("#preview")
    assert "原原本本学习全会公报" in page.locator("#preview").inner_text()
    assert not page.get_by_label(RETIRED).is_checked()  # the choice survives the preview
    _shot(page, "guides-preview")
    page.get_by_role("button", name="发布").click()
    page.wait_for_selector(".notice")
    assert texts.CONSOLE_GUIDE_PUBLISHED in page.locator(".notice").inner_text()
    with session_scope(engine) as session:  # the guide job, then the outbox worker against the robots
        guides.run(site.clock.now(), session=session)
    with serve(api.app()) as base_url:
        _send_robots(
            engine,
            {
                ("robot", "office"): RobotChannel(
                    "office", RobotAccount(webhook_key="office-key", base_url=base_url)
                ),
                ("robot", "grid"): RobotChannel(
                    "grid", RobotAccount(webhook_key="stale-key", base_url=base_url)
                ),
            },
        )
    assert any("原原本本学习全会公报" in c for c in api.contents())
    page.reload()
    report = page.locator("#report")
    office = report.locator("tr", has_text=OFFICE).inner_text()
    grid = report.locator("tr", has_text=GRID).inner_text()
    retired = report.locator("tr", has_text=RETIRED).inner_text()
    assert "已送达 1" in office and "robot:office" in office
    assert "失败 1" in grid and "93000" in grid  # the platform's reason
    assert "还没有发送" in retired  # not chosen
    assert not _scrolls_sideways(page)
    _shot(page, "guides-report")
    page.get_by_role("button", name="重发失败的 1 条").click()
    page.wait_for_selector(f".notice:has-text('{texts.CONSOLE_RETRIED.format(count=1)}')")
    assert "排队 1" in page.locator("#report tr", has_text=GRID).inner_text()


def test_compose_a_notice_see_its_reach_and_confirm(browser: Browser, site: Site) -> None:
    page = _login(browser, site, DISTRICT, PHONE)
    page.get_by_role("link", name="通知").click()
    page.wait_for_url("**/console/broadcasts")
    page.get_by_label("通知内容").fill("本周五下午3点在三楼会议室开党员大会，请准时参加。")
    page.get_by_role("button", name="预览发送范围").click()
    page.wait_for_selector("#reach")
    assert "将发送到 4 个群，覆盖" in page.locator("#reach").inner_text()  # 3 branches and 和平社区党委
    _shot(page, "broadcasts-reach")
    page.get_by_role("button", name="确认发送").click()
    page.wait_for_selector("#batch")
    assert texts.CONSOLE_BROADCAST_QUEUED.format(count=4) in page.locator(".notice").inner_text()
    assert page.locator("#batch tbody tr").count() == 4
    assert not _scrolls_sideways(page)
    _shot(page, "broadcasts-report")


def test_import_a_roster_with_one_bad_row_and_see_the_row_with_nothing_imported(
    browser: Browser, site: Site, engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        before = len(session.exec(select(Member)).all())
    page = _login(browser, site, DISTRICT, PHONE)
    page.get_by_role("link", name="名册").click()
    page.wait_for_url("**/console/members")
    page.locator("#import input[type=file]").set_input_files(str(roster_with_a_bad_row(tmp_path)))
    page.get_by_role("button", name="导入").click()
    page.wait_for_selector("#problems")
    row = page.locator("#problems tbody tr").first.inner_text()
    assert "第 4 行" in row and "入党日期" in row
    assert "没有导入任何数据" in page.locator(".notice").inner_text()
    assert not _scrolls_sideways(page)
    _shot(page, "members-import-refused")
    with session_scope(engine) as session:
        assert len(session.exec(select(Member)).all()) == before


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_transfer_a_member_out_and_into_another_branch(
    browser: Browser, site: Site, engine: Engine, width: int
) -> None:
    page = _login(browser, site, SECRETARY, width)
    page.goto(f"{site.base}/console/members?q={MEMBER}")
    page.locator("#members tr", has_text=MEMBER).get_by_role("link", name="转出…").click()
    page.wait_for_selector("#transfer")
    assert not _scrolls_sideways(page)
    _shot(page, "transfer-out")
    page.get_by_label("转往").fill("城南街道某社区党支部")
    page.get_by_role("button", name="确认转出").click()
    page.wait_for_selector(f".notice:has-text('{texts.CONSOLE_TRANSFERRED_OUT}')")
    assert MEMBER not in page.locator("#members").inner_text()
    with session_scope(engine) as session:
        joined = next(m for m in session.exec(select(Member).where(Member.name == MEMBER))).joined_on
    page = _login(browser, site, DISTRICT, width)
    page.goto(f"{site.base}/console/members")
    form = page.locator("#transfer-in")
    form.get_by_label("姓名").fill(MEMBER)
    form.get_by_label("入党日期").fill(joined.isoformat())
    form.get_by_label("转入支部").select_option(label=RETIRED)
    form.get_by_role("button", name="下一步").click()
    page.wait_for_selector("#transfer")
    assert f"{OFFICE}已为其办理转出" in page.locator("#transfer").inner_text()
    assert not _scrolls_sideways(page)
    _shot(page, "transfer-in")
    page.get_by_role("button", name="确认转入").click()
    page.wait_for_selector(f".notice:has-text('{texts.CONSOLE_TRANSFERRED_IN}')")
    row = page.locator("#members tr", has_text=MEMBER).inner_text()
    assert RETIRED in row and "正式党员" in row
    _shot(page, "transfer-done")


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_schedule_a_guide_and_see_it_listed_as_timed(
    browser: Browser, site: Site, engine: Engine, width: int
) -> None:
    drop_the_demo_s_december_guide(engine)
    page = _login(browser, site, DISTRICT, width)
    page.goto(f"{site.base}/console/guides?month=2026-12")
    page.locator("textarea[name=text]").fill(GUIDE.replace("11月", "12月"))
    page.get_by_label(RETIRED).uncheck()
    page.get_by_label("定时发布").fill("2026-11-28T09:00")  # before December
    page.get_by_role("button", name="发布").click()
    page.wait_for_selector(f".problem:has-text('{texts.CONSOLE_GUIDE_AT_EARLY.format(month=12)}')")
    page.get_by_label("定时发布").fill("2026-12-03T09:00")
    page.get_by_role("button", name="发布").click()
    page.wait_for_selector("#scheduled")
    listed = page.locator("#scheduled").inner_text()
    assert "定时" in listed and "2026-12-03 09:00" in listed and RETIRED not in listed
    assert not _scrolls_sideways(page)
    _shot(page, "guides-scheduled")
    page.get_by_role("button", name="取消发布").click()
    page.wait_for_selector(f".notice:has-text('{texts.CONSOLE_GUIDE_WITHDRAWN}')")
    assert page.locator("#scheduled").count() == 0
