"""`zhibu outbox ...`: what the sender sent, is about to send or gave up on; retry or withdraw one.

Message texts, chat ids and platform errors are printed as typed (rich.text.Text), never as markup.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from rich.text import Text
from sqlmodel import Session

from bot.cli._common import EXIT_USAGE, console, engine, fail, settings
from bot.core.clock import SystemClock
from storage import outbox
from storage.audit import record
from storage.db import session_scope
from storage.models import Delivery, DeliveryStatus

app = typer.Typer(help="发送队列 / the outbox: queued, sent and failed messages.", no_args_is_help=True)

ERROR_WIDTH = 40

# Why a delivery in each status cannot be retried / cancelled.
NOT_RETRIED = {
    DeliveryStatus.SENT: "已送达，不再重发 / it was sent already",
    DeliveryStatus.PENDING: "还在队列里，发送进程会发 / it is still queued; a sender will send it",
    DeliveryStatus.SENDING: "正在发送 / a sender is sending it right now",
    DeliveryStatus.CANCELLED: "已取消 / it was cancelled",
}
NOT_CANCELLED = {
    DeliveryStatus.SENT: "已发出，无法撤回 / it was sent already and cannot be withdrawn",
    DeliveryStatus.SENDING: "正在发送，来不及取消 / a sender is sending it right now",
    DeliveryStatus.FAILED: "已失败，不会再发 / it failed and will not be sent",
    DeliveryStatus.CANCELLED: "已经取消过了 / it is cancelled already",
}


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _short(text: str, width: int = ERROR_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _next_or_sent(row: Delivery, tz: ZoneInfo) -> str:
    if row.status == DeliveryStatus.SENT:
        return _when(row.sent_at, tz)
    if row.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
        return _when(row.next_try_at, tz)
    return "—"


def _found(session: Session, delivery_id: int) -> Delivery:
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise fail(f"没有这条发送记录 / no delivery with id {delivery_id}")
    return row


@app.command("list")
def list_cmd(
    status: DeliveryStatus | None = typer.Option(None, "--status", help="只看这种状态 / only this status"),
    kind: str | None = typer.Option(
        None, "--kind", help="只看这类消息，如 reminder、broadcast / only this kind"
    ),
    chat: str | None = typer.Option(None, "--chat", help="只看发往这个会话的 / only to this chat id"),
    limit: int = typer.Option(50, "--limit", min=1, help="最多显示条数 / at most this many rows"),
) -> None:
    """The latest messages of the outbox, newest first (发送记录)."""
    tz = settings().tz
    with Session(engine()) as session:
        rows = outbox.newest(session, status=status, kind=kind, chat_id=chat, limit=limit)
    table = Table(title=f"发送队列 / outbox ({len(rows)})")
    for column in (
        "id",
        "类型 / kind",
        "渠道 / channel",
        "会话 / chat",
        "状态 / status",
        "次数 / attempts",
        "时间 / at",
        "原因 / last error",
    ):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row.id),
            Text(row.kind),
            Text(f"{row.channel}:{row.account}"),
            Text(row.chat_id),
            row.status,
            str(row.attempts),
            _next_or_sent(row, tz),
            Text(_short(row.last_error)),
        )
    console.print(table)
    console.print(
        f"时间：排队中的为下次尝试，已送达的为送达时间（{tz.key}）/ at: next try when queued, "
        f"delivery when sent ({tz.key})",
        style="dim",
    )


@app.command("show")
def show(
    delivery_id: int = typer.Argument(help="发送记录 id，见 zhibu outbox list / the delivery's id"),
) -> None:
    """Everything about one message: its text, where it goes, attempts and the platform's answer (详情)."""
    tz = settings().tz
    with Session(engine()) as session:
        row = _found(session, delivery_id)
    group = "群 / group" if row.is_group else "个人 / person"
    for label, shown in (
        ("类型 / kind", row.kind),
        ("发往 / to", f"{row.channel}:{row.account} → {row.chat_id}（{group}）"),
        ("状态 / status", row.status),
        ("尝试次数 / attempts", str(row.attempts)),
        ("创建 / created", _when(row.created_at, tz)),
        ("下次尝试 / next try", _next_or_sent(row, tz) if row.status != DeliveryStatus.SENT else "—"),
        ("送达 / sent", _when(row.sent_at, tz)),
        ("发送进程 / claimed by", row.claimed_by or "—"),
        ("平台消息号 / platform id", row.platform_id or "—"),
        ("批次 / batch", row.batch or "—"),
        ("去重键 / dedupe key", row.dedupe_key),
        ("原因 / last error", row.last_error or "—"),
    ):
        console.print(Text.assemble((f"{label}: ", "bold"), shown), soft_wrap=True)
    console.print(Text("内容 / text:", style="bold"))
    console.print(Text(row.markdown or row.text), soft_wrap=True)  # as queued: no line breaks added


@app.command("retry")
def retry(
    delivery_id: int | None = typer.Argument(None, help="失败的那条的 id / the failed delivery's id"),
    every_failed: bool = typer.Option(False, "--failed", help="所有失败的 / every failed delivery"),
    yes: bool = typer.Option(False, "--yes", "-y", help="不再确认 / do not ask"),
) -> None:
    """Put failed messages back in the queue, due now (重发失败的消息)."""
    if (delivery_id is None) == (not every_failed):
        raise fail("请给一个 id 或 --failed / give one id or --failed", EXIT_USAGE)
    now = SystemClock().now()
    with session_scope(engine()) as session:
        if delivery_id is not None:
            row = _found(session, delivery_id)
            if row.status != DeliveryStatus.FAILED:
                why = NOT_RETRIED[DeliveryStatus(row.status)]
                raise fail(f"{delivery_id} 不能重发 / cannot retry {delivery_id}: {why}")
        else:
            _confirm_all_failed(session, ask=not yes)
        count = outbox.retry_failed(session, now=now, ids=None if delivery_id is None else [delivery_id])
        detail = f"id={delivery_id}" if delivery_id is not None else "all failed"
        record(session, action="outbox_retry", at=now, channel="cli", detail=f"{detail} count={count}")
    console.print(f"已放回队列，马上重发 / queued again, due now: {count}")


def _confirm_all_failed(session: Session, *, ask: bool) -> None:
    """Old failures may be stale (a reminder of a meeting long past): say how old before queueing them."""
    count, oldest = outbox.failed_summary(session)
    if not count:
        console.print("没有失败的消息 / nothing has failed")
        raise typer.Exit(0)
    since = _when(oldest, settings().tz)
    question = (
        f"把 {count} 条失败的消息放回队列（最早的建于 {since}）？/ Queue {count} failed messages again?"
    )
    if ask and not typer.confirm(question, default=False):
        raise typer.Exit(1)


@app.command("cancel")
def cancel(delivery_id: int = typer.Argument(help="排队中的那条的 id / the queued delivery's id")) -> None:
    """Withdraw a queued message before it is sent (撤回未发出的消息)."""
    now = SystemClock().now()
    with session_scope(engine()) as session:
        row = _found(session, delivery_id)
        if row.status != DeliveryStatus.PENDING:
            why = NOT_CANCELLED[DeliveryStatus(row.status)]
            raise fail(f"{delivery_id} 不能取消 / cannot cancel {delivery_id}: {why}")
        if not outbox.cancel(session, ids=[delivery_id], reason="cancelled from the CLI"):
            raise fail(f"{delivery_id} 刚被发送进程取走 / a sender has just taken {delivery_id}")
        record(session, action="outbox_cancel", at=now, channel="cli", detail=f"id={delivery_id}")
    console.print(f"已取消 / cancelled: {delivery_id}")
