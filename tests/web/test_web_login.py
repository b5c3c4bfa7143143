"""企业微信 网页授权: a member in the WeCom app's browser logs in to the console with one tap, as the member
their chat binding names; through `zhibu serve`'s app and a loopback WeCom that plays the app's browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.app import create_app
from bot.channels.wecom import WeComAccount, WeComChannel
from bot.runtime import build_runtime
from bot.settings import Settings
from bot.web import auth
from handlers import texts
from storage.db import session_scope
from storage.demo import Demo
from storage.members import bind_identity, by_name
from storage.models import AuditLog
from tests.bot.callbacks import AGENT_ID, CORP_ID, wecom_table
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve
from tests.fakes.wechat_api import FakeWeChatApi
from tests.web.conftest import MEMBER

USER = "gaoxue"  # 高雪's WeCom userid, bound in the chat
START, BACK = "/console/oauth/wecom/corp", "/console/oauth/wecom/corp/back"
PROBLEM = texts.CONSOLE_OAUTH_PROBLEM


@dataclass
class Console:
    base: str
    api: FakeWeChatApi
    api_base: str

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=10, follow_redirects=True)

    def start(self, browser: httpx.Client) -> dict[str, str]:
        """Tap the button, stopping before WeCom: the authorize URL's query."""
        response = browser.get(START, follow_redirects=False)
        assert response.status_code == 302
        return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


@pytest.fixture
def api() -> Iterator[tuple[FakeWeChatApi, str]]:
    fake = FakeWeChatApi()
    with serve(fake.app) as base:
        yield fake, base


@contextmanager
def console(
    db_url: str, engine: Engine, clock: FakeClock, api: tuple[FakeWeChatApi, str], base_url: str | None = None
) -> Iterator[Console]:
    """`zhibu serve`'s app with a [wecom.corp] account; [web] base_url is its own address unless given."""
    fake, api_base = api
    app: dict[str, Any] = {}

    async def later(scope: Any, receive: Any, send: Any) -> None:  # built once its address is known
        await app["asgi"](scope, receive, send)

    with serve(later) as base:
        table = wecom_table(api_base_url=f"{api_base}/cgi-bin/", oauth_base_url=f"{api_base}/connect/")
        web = {"base_url": base if base_url is None else base_url}
        runtime = build_runtime(
            Settings(database_url=db_url, wecom={"corp": table}, web=web), clock=clock, engine=engine
        )
        app["asgi"] = create_app(runtime)
        try:
            yield Console(base, fake, api_base)
        finally:
            runtime.router.close()


@pytest.fixture
def site(
    db_url: str, engine: Engine, clock: FakeClock, demo: Demo, api: tuple[FakeWeChatApi, str]
) -> Iterator[Console]:
    with session_scope(engine) as session:
        member = by_name(session, MEMBER)[0]
        bind_identity(session, member=member, channel="wecom", account="corp", external_id=USER)
    with console(db_url, engine, clock, api) as running:
        yield running


def _logins(engine: Engine) -> list[AuditLog]:
    with session_scope(engine) as session:
        return list(session.exec(select(AuditLog).where(AuditLog.action == "console_login")))


def test_in_the_wecom_app_one_tap_logs_the_bound_member_in(site: Console, engine: Engine) -> None:
    site.api.browser_user = USER
    with site.browser() as browser:
        page = browser.get("/console/login")
        button = re.search(r'href="([^"]+)">用企业微信登录<', page.text)
        assert button is not None and button.group(1) == START
        me = browser.get(button.group(1))
        assert me.status_code == 200 and me.url.path == "/console/me" and MEMBER in me.text
        assert auth.COOKIE in browser.cookies
    [asked] = [r.params for r in site.api.requests if r.path == "oauth2/authorize"]
    assert asked["appid"] == CORP_ID and asked["agentid"] == str(AGENT_ID)
    assert asked["scope"] == "snsapi_base" and asked["response_type"] == "code"
    assert asked["redirect_uri"] == site.base + BACK
    [login] = _logins(engine)
    assert login.channel == "web" and "wecom" in login.detail


def test_the_button_sends_the_browser_to_wecom_with_a_state_only_it_holds(site: Console) -> None:
    with site.browser() as browser:
        response = browser.get(START, follow_redirects=False)
    location = urlsplit(response.headers["location"])
    assert (
        f"{location.scheme}://{location.netloc}{location.path}" == f"{site.api_base}/connect/oauth2/authorize"
    )
    assert location.fragment == "wechat_redirect"
    state = parse_qs(location.query)["state"][0]
    cookie = response.headers["set-cookie"]
    assert len(state) >= 32 and f"zhibu_oauth_state={state};" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console/oauth" in cookie
    assert "Secure" not in cookie  # served over http here


def test_a_forged_or_missing_state_opens_no_session_and_spends_no_code(site: Console) -> None:
    code = site.api.login_code(USER)
    with site.browser() as browser:
        site.start(browser)
        forged = browser.get(BACK, params={"code": code, "state": "not-the-one-we-gave"})
        assert forged.status_code == 400 and PROBLEM["state"] in forged.text
        assert auth.COOKIE not in browser.cookies
    with site.browser() as stranger:  # came back without ever starting here
        missing = stranger.get(BACK, params={"code": code, "state": ""})
        assert missing.status_code == 400 and auth.COOKIE not in stranger.cookies
    assert not [r for r in site.api.requests if r.path == "auth/getuserinfo"]


def test_an_unknown_or_used_code_asks_to_try_again(site: Console) -> None:
    with site.browser() as browser:
        state = site.start(browser)["state"]
        page = browser.get(BACK, params={"code": "CODE-made-up", "state": state})
    assert page.status_code == 400 and PROBLEM["bad_code"].format(label="企业微信") in page.text
    assert 'href="/console/login"' in page.text


def test_someone_outside_the_corp_is_refused(site: Console) -> None:
    site.api.browser_user = None  # WeCom answers with an openid only
    with site.browser() as browser:
        page = browser.get(START)
        assert page.status_code == 403 and PROBLEM["outsider"].format(label="企业微信") in page.text
        assert auth.COOKIE not in browser.cookies


def test_a_wecom_user_not_yet_bound_is_told_how_to_bind(site: Console) -> None:
    site.api.browser_user = "zhangsan"
    with site.browser() as browser:
        page = browser.get(START)
    assert page.status_code == 403 and "发送“绑定 绑定码”" in page.text


def test_a_transferred_out_member_is_refused(site: Console, engine: Engine) -> None:
    with session_scope(engine) as session:
        by_name(session, MEMBER)[0].status = "转出"
    site.api.browser_user = USER
    with site.browser() as browser:
        page = browser.get(START)
        assert page.status_code == 403 and texts.CONSOLE_FORBIDDEN in page.text
        assert auth.COOKIE not in browser.cookies
    assert not _logins(engine)


def test_an_expired_token_is_refreshed_once_and_an_outage_says_to_wait(site: Console) -> None:
    site.api.browser_user = USER
    with site.browser() as first:
        assert first.get(START).url.path == "/console/me"
    site.api.expire_tokens()
    with site.browser() as second:
        assert second.get(START).url.path == "/console/me"
    assert site.api.token_fetches() == 2
    site.api.fail_next(-1, path="auth/getuserinfo")  # 系统繁忙
    with site.browser() as third:
        page = third.get(START)
    assert page.status_code == 502 and PROBLEM["unavailable"].format(label="企业微信") in page.text


def test_without_a_base_url_there_is_no_button(
    db_url: str, engine: Engine, clock: FakeClock, demo: Demo, api: tuple[FakeWeChatApi, str]
) -> None:
    with console(db_url, engine, clock, api, base_url="") as site, site.browser() as browser:
        assert "企业微信" not in browser.get("/console/login").text
        assert browser.get(START).status_code == 404


def test_behind_https_wecom_returns_to_the_base_url_and_the_state_cookie_is_secure(
    db_url: str, engine: Engine, clock: FakeClock, demo: Demo, api: tuple[FakeWeChatApi, str]
) -> None:
    with console(db_url, engine, clock, api, base_url="https://zhibu.example.org") as site:
        with site.browser() as browser:
            response = browser.get(START, follow_redirects=False)
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["redirect_uri"] == ["https://zhibu.example.org" + BACK]
    assert "Secure" in response.headers["set-cookie"]


def test_wecom_s_own_login_page_is_the_default(clock: FakeClock) -> None:
    account = WeComAccount.model_validate(wecom_table())
    channel = WeComChannel("corp", account, clock=clock, tokens=None)
    url = channel.login_url("https://zhibu.example.org/console/oauth/wecom/corp/back", "s1")
    assert url.startswith(
        f"https://open.weixin.qq.com/connect/oauth2/authorize?appid={CORP_ID}&redirect_uri="
    )
