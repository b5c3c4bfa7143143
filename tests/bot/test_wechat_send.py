"""Outbound through wechatpy clients against the fake WeChat/WeCom API on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.channels.wechat import WeChatAccount, WeChatChannel
from bot.channels.wecom import WeComAccount, WeComChannel
from bot.core.errors import PermanentFailure, RetryLater, TokenExpired
from bot.core.messages import Reply, Target
from tests.bot.callbacks import wechat_table, wecom_table
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve
from tests.fakes.tokens import MemoryTokenStore
from tests.fakes.wechat_api import FakeWeChatApi

pytestmark = pytest.mark.anyio

OPENID = Target("wechat", "default", "o-member")
MEMBER = Target("wecom", "default", "zhangsan")
GROUP = Target("wecom", "default", "wrBranchChat", is_group=True)


@pytest.fixture
def api() -> Iterator[tuple[FakeWeChatApi, str]]:
    fake = FakeWeChatApi()
    with serve(fake.app) as base:
        yield fake, f"{base}/cgi-bin/"


def oa(base: str, clock: FakeClock, tokens: MemoryTokenStore | None = None, **extra: object) -> WeChatChannel:
    account = WeChatAccount.model_validate(wechat_table(safe=False, api_base_url=base, timeout=5, **extra))
    return WeChatChannel("default", account, clock=clock, tokens=tokens or MemoryTokenStore(clock))


def work(base: str, clock: FakeClock) -> WeComChannel:
    account = WeComAccount.model_validate(wecom_table(api_base_url=base, timeout=5))
    return WeComChannel("default", account, clock=clock, tokens=MemoryTokenStore(clock))


async def test_customer_service_text_is_sent_with_a_fetched_token(
    api: tuple[FakeWeChatApi, str], clock: FakeClock
) -> None:
    fake, base = api
    await oa(base, clock).send(OPENID, Reply("明天下午三点支委会"))
    [sent] = fake.sent("message/custom/send")
    assert sent.body["touser"] == "o-member" and sent.body["text"] == {"content": "明天下午三点支委会"}
    assert sent.params["access_token"] == "TOKEN-1" and fake.token_fetches() == 1


async def test_an_expired_token_is_refreshed_once_and_the_send_retried_once(
    api: tuple[FakeWeChatApi, str], clock: FakeClock
) -> None:
    fake, base = api
    channel = oa(base, clock)
    await channel.send(OPENID, Reply("第一条"))
    fake.expire_tokens()
    await channel.send(OPENID, Reply("第二条"))
    assert [s.body["text"]["content"] for s in fake.sent()] == ["第一条", "第二条"]
    assert fake.token_fetches() == 2


async def test_a_token_that_stays_invalid_fails_after_one_refresh(
    api: tuple[FakeWeChatApi, str], clock: FakeClock
) -> None:
    fake, base = api
    fake.fail_next(40001, times=10, path="message/custom/send")
    with pytest.raises(TokenExpired):
        await oa(base, clock).send(OPENID, Reply("你好"))
    assert fake.token_fetches() == 2
    assert len([r for r in fake.requests if r.path == "message/custom/send"]) == 2


@pytest.mark.parametrize("errcode", [45009, -1, 45011])
async def test_busy_and_rate_limited_answers_mean_retry_later(
    api: tuple[FakeWeChatApi, str], clock: FakeClock, errcode: int
) -> None:
    fake, base = api
    fake.fail_next(errcode, path="message/custom/send")
    with pytest.raises(RetryLater):
        await oa(base, clock).send(OPENID, Reply("你好"))
    assert fake.sent() == []


async def test_outside_the_48_hour_window_falls_back_to_the_template(
    api: tuple[FakeWeChatApi, str], clock: FakeClock
) -> None:
    fake, base = api
    fake.fail_next(45015, path="message/custom/send")
    with pytest.raises(PermanentFailure, match="45015"):
        await oa(base, clock).send(OPENID, Reply("政治生日快乐"))
    fake.fail_next(45015, path="message/custom/send")
    await oa(base, clock, reminder_template_id="TPL1", reminder_template_key="thing2").send(
        OPENID, Reply("政治生日快乐")
    )
    [sent] = fake.sent("message/template/send")
    assert sent.body["template_id"] == "TPL1" and sent.body["data"] == {"thing2": {"value": "政治生日快乐"}}


async def test_long_texts_go_out_in_parts_under_2048_bytes(
    api: tuple[FakeWeChatApi, str], clock: FakeClock
) -> None:
    fake, base = api
    text = "一" * 600 + "\n" + "二" * 600
    await oa(base, clock).send(OPENID, Reply(text))
    parts = [s.body["text"]["content"] for s in fake.sent()]
    assert "".join(parts) == text and all(len(p.encode()) <= 2048 for p in parts) and len(parts) == 2


async def test_processes_sharing_a_token_store_fetch_one_token(
    api: tuple[FakeWeChatApi, str], clock: FakeClock
) -> None:
    fake, base = api
    tokens = MemoryTokenStore(clock)
    for channel in (oa(base, clock, tokens), oa(base, clock, tokens)):
        await channel.send(OPENID, Reply("你好"))
    assert fake.token_fetches() == 1


async def test_an_unreachable_api_means_retry_later(clock: FakeClock) -> None:
    with serve(FakeWeChatApi().app) as base:
        dead = f"{base}/cgi-bin/"
    with pytest.raises(RetryLater):
        await oa(dead, clock).send(OPENID, Reply("你好"))


async def test_a_group_target_is_refused_by_a_one_to_one_account(clock: FakeClock) -> None:
    with pytest.raises(PermanentFailure, match="no group chats"):
        await oa("http://127.0.0.1:9/", clock).send(
            Target("wechat", "default", "g", is_group=True), Reply("x")
        )


async def test_wecom_sends_app_messages_to_members_and_appchat_to_groups(
    api: tuple[FakeWeChatApi, str], clock: FakeClock
) -> None:
    fake, base = api
    channel = work(base, clock)
    await channel.send(MEMBER, Reply("请于周五前交党费"))
    await channel.send(GROUP, Reply("本周五主题党日"))
    [to_member] = fake.sent("message/send")
    [to_group] = fake.sent("appchat/send")
    assert to_member.body["touser"] == "zhangsan" and to_member.body["agentid"] == 1000002
    assert to_member.body["text"] == {"content": "请于周五前交党费"}
    assert to_group.body["chatid"] == "wrBranchChat" and to_group.body["text"] == {
        "content": "本周五主题党日"
    }
    assert fake.token_fetches() == 1 and fake.requests[0].params["corpsecret"] == "work-secret"


async def test_wecom_token_expiry_refreshes_and_invalid_users_fail(
    api: tuple[FakeWeChatApi, str], clock: FakeClock
) -> None:
    fake, base = api
    channel = work(base, clock)
    await channel.send(MEMBER, Reply("一"))
    fake.expire_tokens()
    await channel.send(MEMBER, Reply("二"))
    assert fake.token_fetches() == 2 and len(fake.sent("message/send")) == 2
    fake.invalid_users.add("lisi")
    with pytest.raises(PermanentFailure, match="lisi"):
        await channel.send(Target("wecom", "default", "lisi"), Reply("三"))
