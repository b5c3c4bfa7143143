"""A handler past the deadline: WeChat is asked to retry until the work is stored, then the sender
delivers the answer as a customer-service message through the fake WeChat API."""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

import bot.router
from bot.app import create_app
from bot.router import Router
from bot.sender import Sender
from handlers import texts
from storage.models import Delivery
from tests.bot.callbacks import text_xml, wechat_post, wechat_table
from tests.bot.conftest import MakeRuntime
from tests.bot.test_gateway import CountingDispatch
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve
from tests.fakes.wechat_api import FakeWeChatApi

pytestmark = pytest.mark.anyio


async def test_a_late_answer_arrives_as_a_customer_service_message(
    make_runtime: MakeRuntime, clock: FakeClock, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    monkeypatch.setattr(bot.router, "dispatch", CountingDispatch(hold=release))
    api = FakeWeChatApi()
    with serve(api.app) as base:
        table = wechat_table(safe=True, api_base_url=f"{base}/cgi-bin/", timeout=5)
        runtime = make_runtime(reply_deadline=0.2, wechat={"safe": table})
        now = clock.now()
        signed = wechat_post(text_xml("o-member", "帮助", 8001, int(now.timestamp())), now, safe=True)
        transport = httpx.ASGITransport(app=create_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://zhibu.test") as http:
            answer = await http.post("/wechat/safe", params=signed.params, content=signed.body)
            assert answer.status_code == 503 and api.sent() == []
            release.set()
            runtime.router.close()
            # a restarted process: the retry is answered from the inbound log
            runtime.router = Router(engine, clock, deadline=0.2)
            retry = await http.post("/wechat/safe", params=signed.params, content=signed.body)
        assert retry.text == "success"
        delivered = await Sender(engine, runtime.outbound(), clock).run_once()
    assert delivered == 1
    [sent] = api.sent("message/custom/send")
    assert sent.body["touser"] == "o-member" and sent.body["text"] == {"content": texts.HELP}
    with Session(engine) as session:
        assert session.exec(select(Delivery.status)).one() == "sent"
