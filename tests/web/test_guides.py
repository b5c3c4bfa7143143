"""The console's 清单 page over real HTTP: write or upload, preview, publish to chosen branches, report."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from io import BytesIO

from openpyxl import Workbook
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.channels import registry
from bot.core.clock import SHANGHAI
from handlers import texts
from schedules import guides
from schedules.fastforward import fast_forward
from schedules.settings import ScheduleSettings
from storage.db import session_scope
from storage.demo import GRID, OFFICE, RETIRED, TOP
from storage.guides import effective, month_guide
from storage.models import AuditLog, Delivery, DeliveryStatus, Guide
from storage.orgs import by_name as org_named
from tests.web.conftest import DISTRICT, GUIDE, SECRETARY, Site, csrf_of, drop_the_demo_s_december_guide
from tests.web.test_overview import add_branches


def _ids(engine: Engine, *names: str) -> list[str]:
    with session_scope(engine) as session:
        return [str(org_named(session, n)[0].id) for n in names]


def test_publish_to_two_branches_and_only_their_chats_get_it(site: Site, engine: Engine) -> None:
    office, grid = _ids(engine, OFFICE, GRID)
    with site.login(DISTRICT) as client:
        token = csrf_of(client.get("/console/guides").text)
        form = {"csrf": token, "month": "2026-11", "text": GUIDE, "branch": [office, grid]}
        shown = client.post("/console/guides", data={**form, "action": "preview"})
        assert "【2026年11月组织生活清单】" in shown.text and "内容：原原本本学习全会公报\n" in shown.text
        assert "形式：集中学习" in shown.text
        done = client.post("/console/guides", data={**form, "action": "publish"})
        assert texts.CONSOLE_GUIDE_PUBLISHED in done.text
    with session_scope(engine) as session:
        assert guides.run(site.clock.now(), session=session) >= 2
        reached = {d.org_id for d in session.exec(select(Delivery).where(Delivery.kind == "guide"))}
        assert reached == {int(office), int(grid)}  # not 离退休党支部
        audit = session.exec(select(AuditLog).where(AuditLog.action == "guide_publish")).one()
        assert audit.channel == "web" and OFFICE in audit.detail and RETIRED not in audit.detail


def test_an_upload_is_read_by_the_cli_s_parsers_and_checked_for_its_month(site: Site) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["标题", "2026年10月组织生活清单"])
    sheet.append(["主题", "内容", "形式", "时间要求"])
    sheet.append(["重温入党誓词", "全体党员", "主题党日", "10月10日"])
    data = BytesIO()
    book.save(data)
    with site.login(SECRETARY) as client:
        token = csrf_of(client.get("/console/guides").text)
        wrong = client.post(
            "/console/guides",
            data={"csrf": token, "month": "2026-11", "action": "preview"},
            files={"file": ("清单.xlsx", data.getvalue())},
        )
        odd = client.post(
            "/console/guides",
            data={"csrf": token, "month": "2026-11", "action": "preview"},
            files={"file": ("清单.pdf", b"%PDF")},
        )
    assert "写的是" in wrong.text and "2026年11月" in wrong.text
    assert "不支持的文件类型 .pdf" in odd.text


def test_a_branch_secretary_cannot_publish_to_another_branch(site: Site, engine: Engine) -> None:
    (grid,) = _ids(engine, GRID)
    with site.login(SECRETARY) as client:
        token = csrf_of(client.get("/console/guides").text)
        refused = client.post(
            "/console/guides",
            data={"csrf": token, "month": "2026-11", "text": GUIDE, "branch": grid, "action": "publish"},
        )
    assert refused.status_code == 403


def test_the_preview_shows_how_a_long_guide_is_split_per_platform(site: Site) -> None:
    items = "".join(f"## 第{n}项学习任务\n- 内容：{'认真学习党章党规，' * 8}\n" for n in range(1, 16))
    with site.login(SECRETARY) as client:
        token = csrf_of(client.get("/console/guides").text)
        shown = client.post(
            "/console/guides",
            data={"csrf": token, "month": "2026-11", "text": items, "action": "preview"},
        )
    parts = shown.text[shown.text.index('id="parts"') :]
    wecom = parts[parts.index("企业微信自建应用") :].split("</li>")[0]
    telegram = parts[parts.index("Telegram") :].split("</li>")[0]
    assert "分 " in wecom and "1 条" in telegram  # 2048 bytes of UTF-8 against 4096 UTF-16 units
    assert all(platform.label in parts for platform in registry.PLATFORMS.values())  # the app bots too


DECEMBER = GUIDE.replace("11月", "12月")


def _december_guide_of_the_district(engine: Engine) -> Guide | None:
    with session_scope(engine) as session:
        return month_guide(session, org_named(session, TOP)[0].id or 0, "2026-12")


def _guide_deliveries(engine: Engine) -> set[int | None]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(Delivery).where(Delivery.kind == "guide", col(Delivery.batch).contains(":2026-12:"))
        )
        return {d.org_id for d in rows}


def test_a_guide_scheduled_in_the_console_goes_out_at_that_time_to_the_chosen_branches(
    site: Site, engine: Engine
) -> None:
    drop_the_demo_s_december_guide(engine)
    start = site.clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI))
    office, grid = _ids(engine, OFFICE, GRID)
    with site.login(DISTRICT) as client:
        token = csrf_of(client.get("/console/guides?month=2026-12").text)
        form = {"csrf": token, "month": "2026-12", "text": DECEMBER, "branch": [office, grid]}
        past = client.post("/console/guides", data={**form, "at": "2026-12-01T07:00", "action": "publish"})
        assert texts.CONSOLE_GUIDE_AT_AHEAD in past.text and _december_guide_of_the_district(engine) is None
        done = client.post("/console/guides", data={**form, "at": "2026-12-01T10:00", "action": "publish"})
        assert texts.CONSOLE_GUIDE_SCHEDULED in done.text
        listed = done.text[done.text.index('id="scheduled"') :].split("</section>")[0]
        assert "2026-12-01 10:00" in listed and OFFICE in listed and GRID in listed and RETIRED not in listed
    settings = ScheduleSettings()
    before = datetime(2026, 12, 1, 9, 59, tzinfo=SHANGHAI)
    for _ in fast_forward(engine, settings, site.clock, after=start, until=before):
        pass
    assert _guide_deliveries(engine) == set()  # not at the month's release time (09:00), not before 10:00
    for _ in fast_forward(engine, settings, site.clock, after=before, until=before + timedelta(minutes=30)):
        pass
    assert _guide_deliveries(engine) == {int(office), int(grid)}  # and not 离退休干部党支部


def test_a_scheduled_guide_s_time_is_changed_or_the_guide_withdrawn(site: Site, engine: Engine) -> None:
    drop_the_demo_s_december_guide(engine)
    with site.login(DISTRICT) as client:
        token = csrf_of(client.get("/console/guides?month=2026-12").text)
        form = {"csrf": token, "month": "2026-12", "text": DECEMBER, "action": "publish"}
        client.post("/console/guides", data={**form, "at": "2026-12-03T09:00"})
        guide = _december_guide_of_the_district(engine)
        assert guide is not None
        moved = client.post(
            f"/console/guides/{guide.id}/schedule", data={"csrf": token, "at": "2026-12-05T08:30"}
        )
        assert texts.CONSOLE_GUIDE_SCHEDULED in moved.text and "2026-12-05 08:30" in moved.text
        with session_scope(engine) as session:  # members asking for 清单 do not see it before its time
            assert not effective(
                session,
                branch=org_named(session, OFFICE)[0],
                month="2026-12",
                now=datetime(2026, 12, 5, 8, tzinfo=SHANGHAI),
            )
        with site.login(SECRETARY) as other:  # a branch secretary cannot touch the district's
            assert (
                other.post(
                    f"/console/guides/{guide.id}/withdraw",
                    data={"csrf": csrf_of(other.get("/console/guides").text)},
                ).status_code
                == 403
            )
        gone = client.post(f"/console/guides/{guide.id}/withdraw", data={"csrf": token})
        assert texts.CONSOLE_GUIDE_WITHDRAWN in gone.text and 'id="scheduled"' not in gone.text
    assert _december_guide_of_the_district(engine) is None
    with session_scope(engine) as session:
        actions = [
            a.action for a in session.exec(select(AuditLog).where(col(AuditLog.action).startswith("guide_")))
        ]
    assert actions == ["guide_publish", "guide_schedule", "guide_withdraw"]


def test_the_report_of_a_big_district_is_summed_up_paged_and_filtered(site: Site, engine: Engine) -> None:
    with session_scope(engine) as session:
        add_branches(session, 60, first=1)  # 63 branches with the demo's three
        office, grid = (org_named(session, name)[0].id for name in (OFFICE, GRID))
        for org, status in ((office, DeliveryStatus.SENT), (grid, DeliveryStatus.FAILED)):
            session.add(
                Delivery(
                    dedupe_key=f"guide-test:{org}",
                    kind="guide",
                    channel="console",
                    account="local",
                    chat_id=f"group-{org}",
                    is_group=True,
                    text="清单",
                    org_id=org,
                    batch=f"guide:2026-11:{org}:1",
                    status=status,
                    last_error="errcode 93000" if status == DeliveryStatus.FAILED else "",
                )
            )
    with site.login(DISTRICT) as client:
        first = client.get("/console/guides?month=2026-11").text
        second = client.get("/console/guides?month=2026-11&page=2").text
        problems = client.get("/console/guides?month=2026-11&show=problems").text
        more_problems = client.get("/console/guides?month=2026-11&show=problems&page=2").text

    def branches(page: str) -> list[str]:
        table = page[page.index('id="report"') :].split("</table>")[0]
        return re.findall(r'data-label="支部"><strong>([^<]+)</strong>', table)

    summary = first[first.index('id="report-summary"') :].split("</p>")[0]
    assert "共 63 个支部" in summary and "全部送达 1" in summary and "有失败 1" in summary
    assert len(branches(first)) == 50 and len(branches(second)) == 13 and "第 2/2 页" in second
    assert not set(branches(first)) & set(branches(second))
    listed = branches(problems) + branches(more_problems)
    assert OFFICE not in listed and GRID in listed and len(listed) == 62  # all but the one delivered
