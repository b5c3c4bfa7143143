"""The console's 清单 page over real HTTP: write or upload, preview, publish to chosen branches, report."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from sqlalchemy import Engine
from sqlmodel import select

from handlers import texts
from schedules import guides
from storage.db import session_scope
from storage.demo import GRID, OFFICE, RETIRED
from storage.models import AuditLog, Delivery
from storage.orgs import by_name as org_named
from tests.web.conftest import DISTRICT, GUIDE, SECRETARY, Site, csrf_of


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
    wecom = parts[parts.index("企业微信应用") :].split("</li>")[0]
    telegram = parts[parts.index("Telegram") :].split("</li>")[0]
    assert "分 " in wecom and "1 条" in telegram  # 2048 bytes of UTF-8 against 4096 UTF-16 units
