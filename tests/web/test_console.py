"""The web console over real HTTP: login links, sessions, permissions, CSRF and the pages' contents."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette
from typer.testing import CliRunner

from bot.app import create_app
from bot.cli import app as cli
from bot.core.channel import ChannelLimits
from bot.core.messages import Inbound, Reply, Target
from bot.redact import AccessLogPaths, Redactor
from bot.router import Router
from bot.runtime import build_runtime
from bot.settings import Settings
from bot.web import pages
from bot.web.config import ConsoleConfig
from handlers import texts
from storage import outbox
from storage.db import session_scope
from storage.demo import GRID, OFFICE, RETIRED
from storage.members import bind_identity, by_name
from storage.models import AuditLog, Delivery, DeliveryStatus, InboundLog
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve
from tests.web.conftest import DISTRICT, MEMBER, SECRETARY, Site, csrf_of, queue_delivery


def test_a_login_link_asks_to_confirm_then_works_once(site: Site) -> None:
    link = site.link(SECRETARY)
    with site.client() as client:
        shown = client.get(link)
        assert shown.status_code == 200 and SECRETARY in shown.text and "确认登录" in shown.text
        assert shown.headers["referrer-policy"] == "no-referrer"  # the link never leaks to another site
        overview = client.post(link)
        assert (
            overview.url.path == "/console/"
            and "组织生活落实情况" in overview.text
            and OFFICE in overview.text
        )
        again = client.get(link)
    assert again.status_code == 410
    assert texts.CONSOLE_LINK_PROBLEM["used"] in again.text and "后台" in again.text
    with site.client() as stranger:
        assert stranger.post(link).status_code == 410  # and using it again opens no session
        assert stranger.get("/console/").url.path == "/console/login"


def test_a_link_expires_after_ten_minutes(site: Site) -> None:
    link = site.link(SECRETARY)
    site.clock.advance(timedelta(minutes=10, seconds=1))
    with site.client() as client:
        response = client.post(link)
    assert response.status_code == 410 and texts.CONSOLE_LINK_PROBLEM["expired"] in response.text
    assert texts.CONSOLE_HOW_TO_LOGIN in response.text


def test_a_new_link_ends_the_unused_one(site: Site) -> None:
    first = site.link(SECRETARY)
    site.link(SECRETARY)
    with site.client() as client:
        assert client.post(first).status_code == 410


def test_the_session_cookie_is_httponly_lax_and_secure_behind_https(
    engine: Engine, clock: FakeClock, site: Site
) -> None:
    with site.client() as client:
        plain = client.post(site.link(SECRETARY)).history[0].headers["set-cookie"].lower()
    assert (
        "httponly" in plain and "samesite=lax" in plain and "path=/console" in plain and "secure" not in plain
    )
    https = Starlette(routes=pages.routes(engine, clock, ConsoleConfig("https://zhibu.example.org")))
    with serve(https) as base, httpx.Client(base_url=base, timeout=10) as client:
        secure = client.post(site.link(SECRETARY).replace(site.base, base)).headers["set-cookie"].lower()
    assert "secure" in secure and "httponly" in secure


def test_a_session_ends_after_eight_idle_hours_but_not_while_used(site: Site) -> None:
    with site.login(SECRETARY) as client:
        for _ in range(3):
            site.clock.advance(timedelta(hours=7, minutes=59))
            assert client.get("/console/").url.path == "/console/"
        site.clock.advance(timedelta(hours=8, minutes=1))
        expired = client.get("/console/")
    assert expired.url.path == "/console/login" and "登录已过期" in expired.text


def test_logout_ends_this_session_and_log_out_everywhere_ends_all(site: Site, engine: Engine) -> None:
    with site.login(SECRETARY) as phone, site.login(SECRETARY) as laptop, site.login(SECRETARY) as office:
        page = phone.get("/console/me")
        assert phone.post("/console/logout", data={"csrf": csrf_of(page.text)}).url.path == "/console/login"
        assert phone.get("/console/").url.path == "/console/login"
        assert laptop.get("/console/").url.path == "/console/"
        page = laptop.get("/console/me")
        laptop.post("/console/logout", data={"csrf": csrf_of(page.text), "everywhere": "1"})
        assert laptop.get("/console/").url.path == "/console/login"
        assert office.get("/console/").url.path == "/console/login"
    with session_scope(engine) as session:
        actions = [a.action for a in session.exec(select(AuditLog).where(AuditLog.channel == "web"))]
    assert actions.count("console_login") == 3 and "console_logout_all" in actions


def test_each_sees_what_the_chat_lets_them_manage(site: Site) -> None:
    with site.login(SECRETARY) as secretary:
        page = secretary.get("/console/").text
        assert OFFICE in page and RETIRED not in page and GRID not in page
        roster = secretary.get("/console/members").text
        assert MEMBER in roster and "方志远" not in roster  # the 党工委's own members are not the branch's
    with site.login(DISTRICT) as district:
        page = district.get("/console/").text
        assert all(name in page for name in (OFFICE, RETIRED, GRID))
    with site.login(MEMBER) as member:
        own = member.get("/console/")
        assert own.url.path == "/console/me" and MEMBER in own.text and "接下来的会议" in own.text
        for path in ("/console/members", "/console/deliveries"):
            refused = member.get(path)
            assert refused.status_code == 403 and texts.CONSOLE_FORBIDDEN in refused.text
            assert "Traceback" not in refused.text


def _status(engine: Engine, delivery_id: int) -> str:
    with session_scope(engine) as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row.status


def test_failed_deliveries_show_the_reason_and_retry_only_with_the_csrf_token(
    site: Site, engine: Engine
) -> None:
    failed = queue_delivery(engine, OFFICE, DeliveryStatus.FAILED, "errcode=45009 接口调用超过限制")
    elsewhere = queue_delivery(engine, RETIRED, DeliveryStatus.FAILED, "errcode=45009")
    with site.login(SECRETARY) as client:
        page = client.get("/console/deliveries", params={"status": "failed"})
        assert "errcode=45009 接口调用超过限制" in page.text and "重发" in page.text
        forged = client.post(f"/console/deliveries/{failed}/retry")
        assert forged.status_code == 403 and texts.CONSOLE_CSRF in forged.text
        assert _status(engine, failed) == DeliveryStatus.FAILED
        token = csrf_of(page.text)
        assert client.post(f"/console/deliveries/{elsewhere}/retry", data={"csrf": token}).status_code == 403
        done = client.post(
            f"/console/deliveries/{failed}/retry", data={"csrf": token, "back": "/console/deliveries"}
        )
        assert texts.CONSOLE_RETRIED.format(count=1) in done.text
        header = client.post(f"/console/deliveries/{failed}/retry", headers={"X-CSRF-Token": token})
        # htmx sends the token as a header; the row is queued now, not failed
        assert texts.CONSOLE_NOT_RETRIED.format(why=texts.CONSOLE_DELIVERY_STATE["pending"]) in header.text
    assert _status(engine, failed) == DeliveryStatus.PENDING
    assert _status(engine, elsewhere) == DeliveryStatus.FAILED
    with session_scope(engine) as session:
        (entry,) = session.exec(select(AuditLog).where(AuditLog.action == "outbox_retry"))
        assert entry.channel == "web" and entry.member_id == by_name(session, SECRETARY)[0].id


def test_a_pending_delivery_can_be_cancelled(site: Site, engine: Engine) -> None:
    pending = queue_delivery(engine, OFFICE, DeliveryStatus.PENDING)
    with site.login(SECRETARY) as client:
        token = csrf_of(client.get("/console/deliveries").text)
        done = client.post(f"/console/deliveries/{pending}/cancel", data={"csrf": token})
        assert texts.CONSOLE_CANCELLED in done.text
        again = client.post(f"/console/deliveries/{pending}/cancel", data={"csrf": token})
        assert texts.CONSOLE_NOT_CANCELLED.format(why=texts.CONSOLE_DELIVERY_STATE["cancelled"]) in again.text
    assert _status(engine, pending) == DeliveryStatus.CANCELLED


def _say(router: Router, sender: str, text: str, *, group: bool = False) -> str:
    inbound = Inbound(
        channel="console",
        account="local",
        chat_id="g1" if group else sender,
        sender_id=sender,
        text=text,
        received_at=router.clock.now(),
        is_group=group,
    )
    return "\n".join(r.text for r in router.handle(inbound))


def test_the_chat_command_gives_a_link_in_private_only(site: Site, engine: Engine, clock: FakeClock) -> None:
    with session_scope(engine) as session:
        bind_identity(
            session,
            member=by_name(session, SECRETARY)[0],
            channel="console",
            account="local",
            external_id="u-lin",
        )
    router = Router(engine, clock, console_url=site.base + "/")
    assert _say(router, "u-lin", "后台", group=True) == texts.PRIVATE_ONLY.format(word="后台")
    assert _say(router, "u-nobody", "登录后台") == texts.MEMBERS_ONLY
    assert _say(Router(engine, clock), "u-lin", "后台") == texts.CONSOLE_NO_URL
    answer = _say(router, "u-lin", "登录后台")
    link = answer.splitlines()[-1]
    assert link.startswith(f"{site.base}/console/login/") and len(link.rsplit("/", 1)[1]) >= 32  # ≥ 128 bits
    with site.client() as client:
        assert client.post(link).url.path == "/console/"


def test_the_kept_copy_of_a_login_reply_has_no_usable_code(
    site: Site, engine: Engine, clock: FakeClock
) -> None:
    with session_scope(engine) as session:
        member = by_name(session, SECRETARY)[0]
        bind_identity(session, member=member, channel="wechat", account="default", external_id="o-lin")
    router = Router(engine, clock, console_url=site.base + "/")
    asked = Inbound("wechat", "default", "o-lin", "o-lin", "登录后台", clock.now(), message_id="m1")
    first = asyncio.run(router.respond(asked, ChannelLimits(unit="bytes", max_length=2048)))
    assert first is not None
    code = first.text.rsplit("/", 1)[1]
    retried = asyncio.run(router.respond(asked, ChannelLimits(unit="bytes", max_length=2048)))
    assert retried is not None and code not in retried.text and "/console/login/…" in retried.text
    with Session(engine) as session:
        assert not any(code in (row.reply or "") for row in session.exec(select(InboundLog)))
    link = Reply(f"登录：{site.base}/console/login/{code}")  # the same reply, sent through the outbox
    with session_scope(engine) as session:
        target, now = Target("console", "local", "u-lin"), clock.now()
        outbox.enqueue(session, target=target, reply=link, dedupe_key="login", not_before=now)
        [row] = outbox.claim_due(session, now=clock.now(), worker="w", limit=1)
        assert row.id is not None and code in row.text
        assert outbox.mark_sent(session, delivery_id=row.id, worker="w", now=clock.now(), text=row.text)
    with Session(engine) as session:
        assert session.exec(select(Delivery.text)).one() == f"登录：{site.base}/console/login/…"


def test_zhibu_console_link_prints_a_working_link_last(site: Site, cli_env: object) -> None:
    result = CliRunner().invoke(cli, ["console", "link", SECRETARY, "--base-url", site.base])
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    with site.client() as client:
        assert client.post(link).url.path == "/console/"
    missing = CliRunner().invoke(cli, ["console", "link", SECRETARY])
    assert missing.exit_code == 2 and "--base-url" in missing.output


def test_zhibu_serve_mounts_the_console_with_its_own_assets(
    db_url: str, engine: Engine, clock: FakeClock, site: Site
) -> None:
    settings = Settings(database_url=db_url, web={"base_url": "https://zhibu.example.org"})
    runtime = build_runtime(settings, clock=clock, engine=engine)
    assert runtime.router.console_url == "https://zhibu.example.org"
    try:
        with serve(create_app(runtime)) as base, httpx.Client(base_url=base, timeout=10) as client:
            login = client.get("/console/")
            script = client.get("/console/static/htmx.min.js")
            style = client.get("/console/static/console.css")
    finally:
        runtime.router.close()
    assert login.status_code == 303 and login.headers["location"] == "/console/login"
    assert script.status_code == 200 and "htmx" in script.text[:200]
    assert style.status_code == 200 and "@media" in style.text


def test_login_links_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    code = "A" * 40
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", f"/console/login/{code}", "1.1", 200),
        None,
    )
    AccessLogPaths().filter(record)
    assert code not in record.getMessage() and "/console/login/***" in record.getMessage()
    assert code not in Redactor().redact(f"reply: https://x.org/console/login/{code}")


def test_a_transferred_member_cannot_log_in(site: Site, engine: Engine) -> None:
    with site.login(MEMBER) as client:
        link = site.link(MEMBER)
        with session_scope(engine) as session:
            member = by_name(session, MEMBER)[0]
            member.status = "转出"
            session.add(member)
        assert client.get("/console/me").url.path == "/console/login"
        assert client.post(link).status_code == 403


def test_the_audit_log_shows_what_happened_in_the_viewers_organizations(site: Site, engine: Engine) -> None:
    failed = queue_delivery(engine, OFFICE, DeliveryStatus.FAILED, "errcode=45009")
    with site.login(SECRETARY) as secretary:
        token = csrf_of(secretary.get("/console/deliveries").text)
        secretary.post(f"/console/deliveries/{failed}/retry", data={"csrf": token})
        page = _table(secretary.get("/console/audit", params={"action": "outbox_retry"}).text)
        assert "重发消息" in page and SECRETARY in page and OFFICE in page
        assert "登录后台" not in page  # filtered to one action
        assert texts.CONSOLE_BAD_DATE.format(date="昨天") in secretary.get("/console/audit?since=昨天").text
    with site.login("王德福") as other_branch:  # 书记 of 离退休干部党支部: nothing of 街道机关党支部
        assert "重发消息" not in _table(other_branch.get("/console/audit").text)
    with site.login(DISTRICT) as district:  # the 党工委 sees every branch below it
        assert "重发消息" in _table(district.get("/console/audit").text)
    with site.login(MEMBER) as member:
        assert member.get("/console/audit").status_code == 403


def _table(html: str) -> str:
    return html[html.index("<table") :]
