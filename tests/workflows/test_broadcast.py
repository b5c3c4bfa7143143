"""发布 → 确认发送 → outbox → 发送情况, and `zhibu broadcast`."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select, update
from typer.testing import CliRunner

from bot.channels.console import ConsoleChannel
from bot.cli import app
from bot.core.clock import SystemClock
from bot.router import Router
from bot.sender import Sender
from storage import senders
from storage.db import session_scope
from storage.models import AuditLog, ChatBinding, Delivery
from storage.outbox import claim_due, mark_failed, mark_sent
from tests.fakes.clock import FakeClock
from tests.workflows.conftest import Chat

runner = CliRunner()


@pytest.fixture
def groups(engine: Engine, district: dict[str, int]) -> None:
    with session_scope(engine) as session:
        for chat_id, org in (("grp-1a", "第一党支部"), ("grp-1b", "第一党支部"), ("grp-2", "第二党支部")):
            session.add(
                ChatBinding(channel="console", account="local", chat_id=chat_id, org_id=district[org])
            )


def _deliveries(engine: Engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)))


def test_preview_then_confirm_queues_one_batch(
    chat_as: Callable[..., Chat], engine: Engine, groups: None
) -> None:
    secretary = chat_as("王书记")
    preview = secretary.say("发布 本周五下午3点开党员大会，请准时参加。")
    assert "将发送到2个群（1个组织），覆盖5名党员" in preview
    assert "本周五下午3点开党员大会" in preview
    assert _deliveries(engine) == []
    assert "已排队发送到2个群" in secretary.say("确认发送")
    rows = _deliveries(engine)
    assert {r.chat_id for r in rows} == {"grp-1a", "grp-1b"}
    assert len({r.batch for r in rows}) == 1 and rows[0].kind == "broadcast"
    assert rows[0].text == "本周五下午3点开党员大会，请准时参加。"
    # a second confirmation finds nothing to send
    assert "没有待确认" in secretary.say("确认发送")
    assert len(_deliveries(engine)) == 2
    with Session(engine) as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "broadcast")).one()
    assert "chats=2" in entry.detail and entry.chat_id == secretary.chat_id


def test_confirmation_expires(
    chat_as: Callable[..., Chat], engine: Engine, groups: None, clock: FakeClock
) -> None:
    secretary = chat_as("王书记")
    secretary.say("发布 通知")
    clock.advance(timedelta(minutes=5, seconds=1))
    assert "确认已过期" in secretary.say("确认发送")
    assert _deliveries(engine) == []


def test_abort(chat_as: Callable[..., Chat], engine: Engine, groups: None) -> None:
    secretary = chat_as("王书记")
    secretary.say("发布 通知")
    assert "已作废" in secretary.say("取消发送")
    assert "没有待确认" in secretary.say("确认发送")
    assert _deliveries(engine) == []


def test_higher_organization_reaches_every_branch_below(
    chat_as: Callable[..., Chat], engine: Engine, groups: None
) -> None:
    staff = chat_as("孙委员")
    assert "将发送到3个群（2个组织），覆盖8名党员" in staff.say("/broadcast 街道党工委通知")
    staff.say("确认发送")
    assert {r.chat_id for r in _deliveries(engine)} == {"grp-1a", "grp-1b", "grp-2"}


def test_members_strangers_and_unbound_branches_are_refused(
    chat_as: Callable[..., Chat], engine: Engine
) -> None:
    assert "只有本支部书记" in chat_as("张三").say("发布 通知")
    assert "只对已绑定的党员开放" in chat_as(None).say("发布 通知")
    assert "还没有绑定任何群" in chat_as("王书记").say("发布 通知")
    assert "用法" in chat_as("王书记").say("发布")
    assert _deliveries(engine) == []


def test_someone_else_cannot_confirm_my_notice(
    chat_as: Callable[..., Chat], engine: Engine, groups: None
) -> None:
    chat_as("王书记", group="grp-1a").say("发布 通知")
    assert "没有待确认" in chat_as("刘组织", group="grp-1a").say("确认发送")
    assert _deliveries(engine) == []


def test_status_per_chat(chat_as: Callable[..., Chat], engine: Engine, groups: None) -> None:
    secretary = chat_as("王书记")
    assert "最近没有发过通知" in secretary.say("发送情况")
    secretary.say("发布 通知")
    secretary.say("确认发送")
    with session_scope(engine) as session:  # what the sender does: claim, then record each outcome
        first, second = claim_due(session, now=datetime.now(UTC), limit=10, worker="w1")
        assert first.id is not None and second.id is not None
        mark_sent(session, delivery_id=first.id, worker="w1", now=datetime.now(UTC))
        mark_failed(session, delivery_id=second.id, worker="w1", error="bot was removed from the group")
    answer = secretary.say("发送情况")
    assert "已送达1，失败1，待发送0" in answer, answer
    assert "第一党支部 console…p-1a：已送达" in answer
    assert "失败（bot was removed from the group）" in answer
    assert "只有本支部书记" in chat_as("张三").say("发送情况")
    assert "最近没有发过通知" in chat_as("陈书记").say("发送情况")


def test_cli_broadcast_with_yes(cli_env: Path, engine: Engine, groups: None) -> None:
    message = cli_env / "msg.md"
    message.write_text("**通知**：周五开会。\n", encoding="utf-8")
    result = runner.invoke(app, ["broadcast", "--org", "某街道党工委", "--file", str(message), "--yes"])
    assert result.exit_code == 0, result.output
    rows = _deliveries(engine)
    assert len(rows) == 3 and rows[0].markdown == "**通知**：周五开会。"
    with Session(engine) as session:
        assert session.exec(select(AuditLog).where(AuditLog.action == "broadcast")).one().channel == "cli"


def test_cli_broadcast_asks_and_can_be_declined(cli_env: Path, engine: Engine, groups: None) -> None:
    message = cli_env / "msg.txt"
    message.write_text("周五开会。", encoding="utf-8")
    result = runner.invoke(app, ["broadcast", "--org", "第一党支部", "--file", str(message)], input="n\n")
    assert result.exit_code != 0
    assert "2" in result.output
    assert _deliveries(engine) == []


def test_cli_broadcast_refuses_empty_or_missing_files(cli_env: Path, groups: None) -> None:
    empty = cli_env / "empty.md"
    empty.write_text("  \n", encoding="utf-8")
    assert (
        runner.invoke(app, ["broadcast", "--org", "第一党支部", "--file", str(empty), "--yes"]).exit_code == 2
    )
    assert (
        runner.invoke(app, ["broadcast", "--org", "第一党支部", "--file", "nope.md", "--yes"]).exit_code == 2
    )
    assert (
        runner.invoke(app, ["broadcast", "--org", "没有这个组织", "--file", str(empty), "--yes"]).exit_code
        != 0
    )


def test_notices_about_dues_or_meetings_are_broadcasts_not_questions(
    chat_as: Callable[..., Chat], engine: Engine, groups: None
) -> None:
    secretary = chat_as("王书记")
    for notice in (
        "发布 本月党费请于20日前交纳",
        "发布 下次支委会定于12月5日召开",
        "发布 本月政治生日名单见群公告",
    ):
        assert "将发送到2个群" in secretary.say(notice), notice
    assert "已安排主题党日" in secretary.say("安排 主题党日 12月5日 15:00 主题：收缴党费 工资8000以上按1.5%")


def test_two_processes_confirming_at_once_send_one_batch(
    chat_as: Callable[..., Chat], engine: Engine, groups: None, clock: FakeClock
) -> None:
    """A double tap on 确认发送 handled by two processes at the same moment still queues the notice once."""
    secretary = chat_as("王书记")
    routers = [Router(engine, clock), Router(engine, clock)]
    try:
        _confirm_rounds(secretary, routers, engine)
    finally:
        for router in routers:
            router.close()


def _confirm_rounds(secretary: Chat, routers: list[Router], engine: Engine) -> None:
    for round_no in range(4):
        secretary.say(f"发布 第{round_no}号通知")
        barrier = threading.Barrier(2)

        def confirm(router: Router, barrier: threading.Barrier = barrier) -> str:
            barrier.wait()
            return Chat(router, secretary.sender_id, secretary.chat_id).say("确认发送")

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(confirm, routers))
        assert sum("已排队" in a for a in answers) == 1, answers
    batches = {d.batch for d in _deliveries(engine)}
    assert len(batches) == 4 and len(_deliveries(engine)) == 8


def test_the_same_notice_twice_within_a_day_asks_again(
    chat_as: Callable[..., Chat], engine: Engine, groups: None, clock: FakeClock
) -> None:
    secretary = chat_as("王书记")
    secretary.say("发布 周五下午开党员大会")
    secretary.say("确认发送")
    again = secretary.say("发布 周五下午开党员大会")
    assert "24小时内已向同一范围发过相同内容，确认仍要再发吗？" in again
    assert "已排队发送到2个群" in secretary.say("确认发送")  # the secretary may still send it
    assert len(_deliveries(engine)) == 4
    assert "24小时内" not in secretary.say("发布 周五下午开党员大会，地点改在三楼")
    assert "24小时内" not in chat_as("陈书记").say("发布 周五下午开党员大会")  # another branch's chats
    with session_scope(engine) as session:  # both sends were the day before yesterday
        session.execute(update(Delivery).values(created_at=clock.now() - timedelta(hours=25)))
    assert "24小时内" not in secretary.say("发布 周五下午开党员大会")


def test_cli_broadcast_of_the_same_file_twice_needs_force(
    cli_env: Path, engine: Engine, groups: None
) -> None:
    message = cli_env / "msg.txt"
    message.write_text("周五开会。", encoding="utf-8")
    command = ["broadcast", "--org", "第一党支部", "--file", str(message), "--yes"]
    assert runner.invoke(app, command).exit_code == 0
    refused = runner.invoke(app, command)
    assert refused.exit_code == 1 and "24小时内已向同一范围发过相同内容" in refused.output
    assert "--force" in refused.output and len(_deliveries(engine)) == 2
    declined = runner.invoke(app, command[:-1], input="n\n")
    assert declined.exit_code == 1 and "Send it again?" in declined.output
    assert runner.invoke(app, command[:-1], input="y\n").exit_code == 0
    assert runner.invoke(app, [*command, "--force"]).exit_code == 0
    assert len(_deliveries(engine)) == 6


def test_cli_broadcast_wait_says_when_no_sender_runs_instead_of_waiting(
    cli_env: Path, engine: Engine, groups: None
) -> None:
    message = cli_env / "msg.txt"
    message.write_text("周五开会。", encoding="utf-8")
    command = ["broadcast", "--org", "第一党支部", "--file", str(message), "--yes", "--wait", "600"]
    result = runner.invoke(app, command)
    assert result.exit_code == 1
    assert "没有发送进程在运行" in result.output and "zhibu serve" in result.output
    assert "待发送 / pending 2" in result.output
    assert [row.status for row in _deliveries(engine)] == ["pending", "pending"]  # still queued, not lost


def test_cli_broadcast_wait_follows_a_running_sender(cli_env: Path, engine: Engine, groups: None) -> None:
    outbound = ConsoleChannel("sender")
    sender = Sender(engine, {("console", "local"): outbound}, SystemClock(), idle_seconds=0.05)
    ready, done = threading.Event(), threading.Event()

    async def serve_outbox() -> None:
        await sender.run_once()  # nothing to send yet; says that it runs
        ready.set()
        await sender.start()
        while not done.is_set():
            await asyncio.sleep(0.02)
        await sender.stop()

    thread = threading.Thread(target=asyncio.run, args=(serve_outbox(),))
    thread.start()
    try:
        assert ready.wait(30)
        message = cli_env / "msg.txt"
        message.write_text("周五开会。", encoding="utf-8")
        command = ["broadcast", "--org", "第一党支部", "--file", str(message), "--yes", "--wait", "600"]
        result = runner.invoke(app, command)
    finally:
        done.set()
        thread.join(30)
    assert result.exit_code == 0, result.output
    assert "已送达 / sent 2" in result.output and "没有发送进程" not in result.output
    assert sorted(sent.target.chat_id for sent in outbound.take()) == ["grp-1a", "grp-1b"]
    with Session(engine) as session:
        assert senders.alive(session, now=datetime.now(UTC)) == 0  # a stopped sender says so at once
