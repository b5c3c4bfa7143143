"""Faults against a real ``zhibu serve``: the database unreachable for a while.

The process reaches PostgreSQL through a TCP proxy on loopback that the test cuts
and restores. Skipped without ZHIBU_TEST_PG_URL (CI provides it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, func, select

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply, Target
from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus, InboundLog
from storage.outbox import enqueue
from tests.bot.callbacks import text_xml, wechat_post
from tests.e2e.harness import ServeProcess, serving, wait_for
from tests.e2e.test_multiprocess import _config
from tests.fakes.serve import serve
from tests.fakes.tcp_proxy import TcpProxy, tcp_proxy
from tests.fakes.wechat_api import FakeWeChatApi

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

OUTAGE_SECONDS = 30


@pytest.fixture
def proxied(engine: Engine, db_url: str) -> Iterator[tuple[TcpProxy, str]]:
    if engine.dialect.name != "postgresql":
        pytest.skip("needs a database server reached over TCP (ZHIBU_TEST_PG_URL)")
    url = make_url(db_url)
    with tcp_proxy(url.port or 5432) as proxy:
        yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def _count(engine: Engine, table: type, *where: object) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table).where(*where)).one()


def _post(proc: ServeProcess, msg_id: int) -> httpx.Response:
    now = datetime.now(SHANGHAI)
    xml = text_xml(f"o-outage-{msg_id}", "帮助", msg_id, int(now.timestamp()))
    signed = wechat_post(xml, now, safe=False, nonce=f"n{msg_id}")  # WeChat draws a nonce per callback
    return httpx.post(
        f"{proc.base_url}/wechat/default", params=signed.params, content=signed.body, timeout=10
    )


def test_a_database_outage_gets_retryable_errors_loses_nothing_and_heals_by_itself(
    engine: Engine, proxied: tuple[TcpProxy, str], tmp_path: Path
) -> None:
    proxy, through_proxy = proxied
    api = FakeWeChatApi()
    with (
        serve(api.app) as base,
        serving([ServeProcess("serve", _config(tmp_path, through_proxy, base), tmp_path)]) as (proc,),
    ):
        assert _post(proc, 1).status_code == 200
        with session_scope(engine) as session:  # accepted work waiting to be sent when the outage starts
            for i in range(20):
                enqueue(
                    session,
                    target=Target("wechat", "default", f"o-{i}", False),
                    reply=Reply(f"通知{i}"),
                    dedupe_key=f"out:{i}",
                )

        proxy.cut()
        started = time.monotonic()
        during = []
        while time.monotonic() - started < OUTAGE_SECONDS:
            response = _post(proc, 100 + len(during))
            during.append(response.status_code)
            assert response.elapsed.total_seconds() < 5, "answered within the platform's 5 s, so it retries"
            time.sleep(1)
        assert during and all(code >= 500 for code in during), (
            f"a retryable error while the database is away: {during}"
        )
        assert proc.alive
        proxy.restore()

        retried = [
            _post(proc, 100 + i) for i in range(len(during))
        ]  # the platform's retries of the same messages
        assert [r.status_code for r in retried] == [200] * len(during)
        wait_for(
            lambda: _count(engine, Delivery, Delivery.status != DeliveryStatus.SENT) == 0,
            60,
            "the outbox to drain",
        )
        assert proc.alive

    handled = _count(engine, InboundLog, ~col(InboundLog.key).startswith("sig:"))
    assert handled == 1 + len(during), "every message handled once, nothing accepted lost"
    sent = {r.body["text"]["content"] for r in api.sent("message/custom/send") if r.body.get("_ok")}
    assert {f"通知{i}" for i in range(20)} <= sent


ACCOUNTS = 5  # each 公众号 has its own 50/s bucket: five of them drain 5,000 messages in about 20 s
RECIPIENTS = 5000


def test_kill_9_mid_broadcast_and_restart_loses_nothing_and_repeats_at_most_the_one_in_flight(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("runs on PostgreSQL (ZHIBU_TEST_PG_URL)")
    api = FakeWeChatApi()
    with serve(api.app) as base:
        env = _config(tmp_path, db_url, base)
        config = Path(env["ZHIBU_CONFIG"])
        first = config.read_text(encoding="utf-8")
        config.write_text(
            "".join(first.replace("[wechat.default]", f"[wechat.a{n}]") for n in range(ACCOUNTS)),
            encoding="utf-8",
        )
        with session_scope(engine) as session:
            for i in range(RECIPIENTS):
                target = Target("wechat", f"a{i % ACCOUNTS}", f"o-{i:05d}", False)
                enqueue(
                    session,
                    target=target,
                    reply=Reply(f"全体党员通知 #{i}"),
                    dedupe_key=f"bc:{i}",
                    batch="bc",
                )

        def delivered() -> list[str]:
            return [r.body["text"]["content"] for r in api.sent("message/custom/send") if r.body.get("_ok")]

        with serving([ServeProcess("before", env, tmp_path)]) as (proc,):
            wait_for(lambda: len(delivered()) >= RECIPIENTS // 5, 120, "a fifth of the broadcast to go out")
            proc.kill()
        at_kill = len(delivered())
        assert at_kill < RECIPIENTS, "killed mid-broadcast"
        with serving([ServeProcess("after", env, tmp_path)]):
            wait_for(
                lambda: _count(engine, Delivery, Delivery.status != DeliveryStatus.SENT) == 0,
                180,
                "the rest of the broadcast",
            )

    sends = delivered()
    assert set(sends) == {f"全体党员通知 #{i}" for i in range(RECIPIENTS)}, "nothing lost"
    assert len(sends) - RECIPIENTS <= 1, (
        f"at most the one in-flight message repeated ({len(sends) - RECIPIENTS})"
    )
