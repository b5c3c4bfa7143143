"""Webhook messages answered in batches: one worker hop and one commit serve many messages.

The real router over the test database; only the command dispatch is swapped for one the
test can hold, make write or make fail, so each case can be arranged exactly.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, func, select

import bot.router
from bot.core.channel import ChannelLimits
from bot.core.errors import InboundRejected, NotYetStored
from bot.core.messages import Inbound, Reply
from bot.router import Router
from handlers import texts
from handlers.context import HandlerContext
from storage import conversation
from storage.inbound import SignatureUse
from storage.models import Conversation, Delivery, Identity, InboundLog, Member, Organization
from tests.fakes.clock import FakeClock

pytestmark = pytest.mark.anyio

LIMITS = ChannelLimits(unit="bytes", max_length=2048)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Dispatch:
    """Answers "echo: TEXT"; "记 …" also stores chat state; "坏 …" writes, then fails;
    "慢 …" waits for ``release`` and "拖 …" for ``release_later``; "绑 …" binds the sender to the
    first member and "我是谁" answers with the asker's name."""

    def __init__(self, tag: str = "") -> None:
        self.tag = tag
        self.calls: list[str] = []
        self.release = threading.Event()
        self.release_later = threading.Event()
        self.started = threading.Event()

    def __call__(self, ctx: HandlerContext) -> list[Reply]:
        text = ctx.inbound.text
        self.calls.append(text)
        if text.startswith(("记", "坏")):
            key = conversation.ChatKey("wechat", "safe", ctx.inbound.chat_id, ctx.inbound.sender_id)
            conversation.put(
                ctx.session,
                key=key,
                kind="test",
                data={"text": text},
                expires_at=ctx.now + timedelta(hours=1),
            )
            if text.startswith("坏"):
                raise RuntimeError("a bug in a handler")
        if text.startswith("绑"):
            member = ctx.session.exec(select(Member)).first()
            assert member is not None
            ctx.session.add(
                Identity(
                    channel="wechat", account="safe", external_id=ctx.inbound.sender_id, member_id=member.id
                )
            )
        if text == "我是谁":
            return [Reply(f"{self.tag}echo: {ctx.asker.name if ctx.asker else '未绑定'}")]
        if text.startswith("慢"):
            self.started.set()
            assert self.release.wait(timeout=30)
        if text.startswith("拖"):
            assert self.release_later.wait(timeout=30)
        return [Reply(f"{self.tag}echo: {text}")]


@pytest.fixture
def dispatch(monkeypatch: pytest.MonkeyPatch) -> Dispatch:
    fake = Dispatch()
    monkeypatch.setattr(bot.router, "dispatch", fake)
    return fake


@pytest.fixture
def make_router(engine: Engine, clock: FakeClock) -> Iterator[Callable[..., Router]]:
    routers: list[Router] = []

    def make(**options: float) -> Router:
        router = Router(engine, clock, **options)  # type: ignore[arg-type]
        routers.append(router)
        return router

    yield make
    for router in routers:
        router.close()


def message(clock: FakeClock, text: str, n: int) -> Inbound:
    return Inbound("wechat", "safe", f"o-user{n}", f"o-user{n}", text, clock.now(), message_id=str(9000 + n))


def commits(engine: Engine) -> list[int]:
    """A counter of database commits, as the test sees them."""
    seen = [0]

    @event.listens_for(engine, "commit")
    def count(_conn: object) -> None:
        seen[0] += 1

    return seen


def rows(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


async def test_a_burst_of_questions_is_answered_each_with_its_own_reply_in_few_commits(
    make_router: Callable[..., Router], dispatch: Dispatch, engine: Engine, clock: FakeClock
) -> None:
    router = make_router()
    hold = asyncio.ensure_future(router.respond(message(clock, "慢 先来的", 0), LIMITS))
    await asyncio.to_thread(dispatch.started.wait, 5)  # the worker is busy: what follows queues up
    counted = commits(engine)
    burst = [
        asyncio.ensure_future(router.respond(message(clock, f"问题{n}", n), LIMITS)) for n in range(1, 41)
    ]
    await asyncio.sleep(0.05)
    dispatch.release.set()
    replies = await asyncio.gather(hold, *burst)

    assert [r.text if r else None for r in replies] == ["echo: 慢 先来的"] + [
        f"echo: 问题{n}" for n in range(1, 41)
    ]
    assert rows(engine, InboundLog) == 41
    assert counted[0] <= 3, f"40 queued questions took {counted[0]} commits"
    # a platform retry of any of them gets the stored answer without a second handler run
    calls = len(dispatch.calls)
    again = await make_router().respond(message(clock, "问题7", 7), LIMITS)
    assert again == Reply("echo: 问题7") and len(dispatch.calls) == calls


async def test_writes_commit_with_their_claim_and_a_failing_handler_undoes_only_its_own(
    make_router: Callable[..., Router], dispatch: Dispatch, engine: Engine, clock: FakeClock
) -> None:
    router = make_router()
    hold = asyncio.ensure_future(router.respond(message(clock, "慢", 0), LIMITS))
    await asyncio.to_thread(dispatch.started.wait, 5)
    batch = [
        router.respond(message(clock, text, n), LIMITS)
        for n, text in enumerate(["问一下", "记 第一条", "坏 第二条", "记 第三条", "再问"], start=1)
    ]
    tasks = [asyncio.ensure_future(b) for b in batch]
    await asyncio.sleep(0.05)
    dispatch.release.set()
    replies = await asyncio.gather(hold, *tasks)

    assert [r.text if r else None for r in replies] == [
        "echo: 慢",
        "echo: 问一下",
        "echo: 记 第一条",
        texts.ERROR,
        "echo: 记 第三条",
        "echo: 再问",
    ]
    with Session(engine) as session:
        kept = sorted(row.data["text"] for row in session.exec(select(Conversation)))
    assert kept == ["记 第一条", "记 第三条"], "the failing handler's write is undone, the others' are kept"
    assert rows(engine, InboundLog) == 6


async def test_a_slow_handler_does_not_hold_up_the_messages_after_it(
    make_router: Callable[..., Router], dispatch: Dispatch, clock: FakeClock
) -> None:
    router = make_router(stall=0.05)
    slow = asyncio.ensure_future(router.respond(message(clock, "慢 查个大表", 0), LIMITS))
    await asyncio.to_thread(dispatch.started.wait, 5)
    quick = await asyncio.wait_for(router.respond(message(clock, "快问", 1), LIMITS), timeout=2)
    assert quick == Reply("echo: 快问") and not slow.done()
    dispatch.release.set()
    assert await slow == Reply("echo: 慢 查个大表")


async def test_an_answer_held_up_behind_a_slow_one_past_the_deadline_goes_out_through_the_outbox(
    make_router: Callable[..., Router], dispatch: Dispatch, engine: Engine, clock: FakeClock
) -> None:
    router = make_router(deadline=0.2, stall=30)  # no second worker: the batch waits for its slow message
    first = asyncio.ensure_future(router.respond(message(clock, "慢", 0), LIMITS))
    await asyncio.to_thread(dispatch.started.wait, 5)
    quick = asyncio.ensure_future(router.respond(message(clock, "快问", 1), LIMITS))
    slow = asyncio.ensure_future(router.respond(message(clock, "拖 慢吞吞", 2), LIMITS))
    await asyncio.sleep(0.05)
    dispatch.release.set()  # the worker takes "快问" and then "拖" as one batch
    answers = await asyncio.wait_for(asyncio.gather(quick, slow, return_exceptions=True), timeout=3)
    # not "success" while nothing is stored: the platform retries, and finds the work done
    assert [type(a) for a in answers] == [NotYetStored, NotYetStored]
    dispatch.release_later.set()
    await first
    router.close()
    with Session(engine) as session:
        queued = sorted((d.chat_id, d.text) for d in session.exec(select(Delivery)))
        log = {row.key: row.reply for row in session.exec(select(InboundLog))}
    assert queued == [("o-user1", "echo: 快问"), ("o-user2", "echo: 拖 慢吞吞")]
    assert log["9001"] is None, "a retry must not get a passive copy of what the outbox sends"


async def test_two_processes_racing_on_one_message_both_give_the_winners_reply(
    make_router: Callable[..., Router], monkeypatch: pytest.MonkeyPatch, engine: Engine, clock: FakeClock
) -> None:
    """The first process to start is the last to finish: it loses the claim, answers the winner's reply."""
    release, started = threading.Event(), threading.Event()
    calls: list[int] = []

    def racing(ctx: HandlerContext) -> list[Reply]:
        calls.append(len(calls) + 1)
        n = len(calls)
        if n == 1:
            started.set()
            assert release.wait(timeout=30)
        return [Reply(f"第{n}次运行的回答")]

    monkeypatch.setattr(bot.router, "dispatch", racing)
    slow_process, fast_process = make_router(), make_router()
    same = message(clock, "问题", 1)
    slow = asyncio.ensure_future(slow_process.respond(same, LIMITS))
    await asyncio.to_thread(started.wait, 5)
    fast = await fast_process.respond(same, LIMITS)
    release.set()
    assert (await slow, fast) == (Reply("第2次运行的回答"), Reply("第2次运行的回答"))
    assert rows(engine, InboundLog) == 1


async def test_answered_messages_leave_nothing_behind_and_their_retries_get_the_stored_reply(
    make_router: Callable[..., Router], dispatch: Dispatch, engine: Engine, clock: FakeClock
) -> None:
    """A process answering for hours holds only the messages in flight: every outcome it kept
    was walked by each full garbage collection, which stalled the requests running then."""
    router = make_router()
    gc.collect()
    before = futures()
    asked = [router.respond(message(clock, f"问题{n}", n), LIMITS) for n in range(300)]
    replies = await asyncio.gather(*asked)
    assert [r.text if r else None for r in replies] == [f"echo: 问题{n}" for n in range(300)]
    gc.collect()
    kept = futures() - before
    assert kept < 30, f"{kept} futures kept after 300 answered messages"
    # the same process, asked again (a platform retry), answers from the inbound log, without a second run
    calls = len(dispatch.calls)
    again = await router.respond(message(clock, "问题7", 7), LIMITS)
    assert again == Reply("echo: 问题7") and len(dispatch.calls) == calls


def futures() -> int:
    """Outcomes alive in this process (the ones other tests left too)."""
    return sum(isinstance(o, Future) for o in gc.get_objects())


async def test_plaintext_signatures_are_recorded_per_batch_and_a_reused_one_runs_no_handler(
    make_router: Callable[..., Router], dispatch: Dispatch, engine: Engine, clock: FakeClock
) -> None:
    """公众号 plaintext mode: each body must be the only one to use its signed query string. Recording
    that per message (a thread hop and a commit each) cost about as much as answering it."""
    router = make_router()

    def signed(n: int, body: str) -> SignatureUse:
        return SignatureUse("wechat", "safe", "1700000000", f"nonce{n}", body)

    hold = asyncio.ensure_future(router.respond(message(clock, "慢 先来的", 0), LIMITS, signed(0, "a")))
    await asyncio.to_thread(dispatch.started.wait, 5)
    counted = commits(engine)
    burst = [router.respond(message(clock, f"问题{n}", n), LIMITS, signed(n, f"b{n}")) for n in range(1, 41)]
    forged = router.respond(message(clock, "记 冒名", 99), LIMITS, signed(7, "another body"))
    tasks = [asyncio.ensure_future(b) for b in [*burst, forged]]
    await asyncio.sleep(0.05)
    dispatch.release.set()
    *replies, refused = await asyncio.gather(hold, *tasks, return_exceptions=True)

    assert [r.text if isinstance(r, Reply) else r for r in replies] == ["echo: 慢 先来的"] + [
        f"echo: 问题{n}" for n in range(1, 41)
    ]
    assert isinstance(refused, InboundRejected) and "记 冒名" not in dispatch.calls
    # two batches of at most 32 messages, each: one commit for the signatures, one for the claims
    assert counted[0] <= 6, f"40 plaintext questions took {counted[0]} commits"


async def test_a_message_sees_what_an_earlier_one_in_its_batch_committed(
    make_router: Callable[..., Router], dispatch: Dispatch, engine: Engine, clock: FakeClock
) -> None:
    """A member who binds and at once asks something is answered as the bound member, even when both
    messages are handled in the same batch (whose senders are looked up together)."""
    with Session(engine) as session:
        branch = Organization(name="第一党支部", kind="branch")
        session.add(branch)
        session.flush()
        session.add(Member(name="张三", org_id=branch.id, joined_on=date(2001, 7, 1)))
        session.commit()
    router = make_router()
    hold = asyncio.ensure_future(router.respond(message(clock, "慢 先来的", 0), LIMITS))
    await asyncio.to_thread(dispatch.started.wait, 5)

    def sent(text: str, n: int) -> Inbound:  # the same sender, one message after the other
        return Inbound("wechat", "safe", "o-zhang", "o-zhang", text, clock.now(), message_id=str(9100 + n))

    before = asyncio.ensure_future(router.respond(sent("我是谁", 1), LIMITS))
    bind = asyncio.ensure_future(router.respond(sent("绑 张三", 2), LIMITS))
    after = asyncio.ensure_future(router.respond(sent("我是谁", 3), LIMITS))
    await asyncio.sleep(0.05)
    dispatch.release.set()
    await hold
    assert [(await t).text for t in (before, bind, after)] == ["echo: 未绑定", "echo: 绑 张三", "echo: 张三"]
