"""`zhibu outbox`: list, show, retry and cancel deliveries in the test database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli import app
from bot.core.messages import Reply, Target
from storage.db import make_engine, session_scope
from storage.models import AuditLog, Delivery, DeliveryStatus
from storage.outbox import enqueue

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide terminal, so table cells are not folded across lines."""
    monkeypatch.setenv("COLUMNS", "220")


QUEUED_AT = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 09:30 in Asia/Shanghai
LONG = "请各位同志准时参加支部党员大会。" * 10  # longer than any table cell


def _seed(db_url: str) -> dict[str, int]:
    """Four deliveries, one in each state an operator meets, by dedupe key → id."""
    engine = make_engine(db_url)
    rows = [
        ("sent", "reminder", Target("wecom", "default", "zhangsan"), "明天下午三点支委会"),
        ("failed", "broadcast", Target("robot", "branch1", "branch1", is_group=True), LONG),
        ("pending", "reminder", Target("telegram", "default", "[bold]-100123[/bold]"), "下周主题党日"),
        ("later", "birthday", Target("wecom", "default", "lisi"), "政治生日快乐"),
    ]
    with session_scope(engine) as session:
        for key, kind, target, text in rows:
            enqueue(
                session, target=target, reply=Reply(text), dedupe_key=key, kind=kind, not_before=QUEUED_AT
            )
    ids = _ids(engine)
    for delivery_id in ids.values():
        _set(engine, delivery_id, created_at=QUEUED_AT)
    _set(
        engine, ids["sent"], status=DeliveryStatus.SENT, sent_at=QUEUED_AT + timedelta(minutes=1), attempts=1
    )
    _set(
        engine,
        ids["failed"],
        status=DeliveryStatus.FAILED,
        attempts=8,
        last_error="errcode 93000: [red]key[/red] invalid " + "x" * 100,
    )
    engine.dispose()
    return ids


def _ids(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {row.dedupe_key: row.id or 0 for row in session.exec(select(Delivery))}


def _set(engine: Engine, delivery_id: int, **values: object) -> None:
    with session_scope(engine) as session:
        session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))  # type: ignore[arg-type]


def _row(db_url: str, delivery_id: int) -> Delivery:
    engine = make_engine(db_url)
    with Session(engine) as session:
        row = session.get(Delivery, delivery_id)
    engine.dispose()
    assert row is not None
    return row


def test_list_shows_the_newest_first_with_times_in_shanghai_and_user_text_as_typed(
    cli_env: Path, db_url: str
) -> None:
    _seed(db_url)
    result = runner.invoke(app, ["outbox", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    order = [
        next(i for i, line in enumerate(lines) if word in line)
        for word in ("lisi", "-100123", "branch1", "zhangsan")
    ]
    assert order == sorted(order)  # newest first
    assert (
        "[bold]-100123[/bold]" in result.output and "[red]key[/red]" in result.output
    )  # not eaten as markup
    assert "2026-11-23 09:31" in result.output  # sent at, Asia/Shanghai
    assert "x" * 100 not in result.output and "…" in result.output  # the error is cut short in the table


def test_list_filters_by_status_kind_and_chat_and_limits(cli_env: Path, db_url: str) -> None:
    _seed(db_url)

    def listed(*args: str) -> str:
        result = runner.invoke(app, ["outbox", "list", *args])
        assert result.exit_code == 0, result.output
        return result.output

    failed = listed("--status", "failed")
    assert "branch1" in failed and "zhangsan" not in failed and "lisi" not in failed
    reminders = listed("--kind", "reminder")
    assert "zhangsan" in reminders and "-100123" in reminders and "lisi" not in reminders
    assert "lisi" in listed("--chat", "lisi") and "zhangsan" not in listed("--chat", "lisi")
    newest = listed("--limit", "1")
    assert "lisi" in newest and "zhangsan" not in newest
    assert runner.invoke(app, ["outbox", "list", "--status", "lost"]).exit_code == 2


def test_show_prints_the_whole_text_and_the_platforms_reason(cli_env: Path, db_url: str) -> None:
    ids = _seed(db_url)
    result = runner.invoke(app, ["outbox", "show", str(ids["failed"])])
    assert result.exit_code == 0, result.output
    assert LONG in result.output
    assert "errcode 93000: [red]key[/red] invalid " + "x" * 100 in result.output
    assert "尝试次数 / attempts: 8" in result.output and "2026-11-23 09:30" in result.output
    missing = runner.invoke(app, ["outbox", "show", "999"])
    assert missing.exit_code == 1 and "999" in missing.output


def test_retry_puts_a_failed_one_back_due_now_and_refuses_others(cli_env: Path, db_url: str) -> None:
    ids = _seed(db_url)
    before = datetime.now(UTC)
    result = runner.invoke(app, ["outbox", "retry", str(ids["failed"])])
    assert result.exit_code == 0, result.output
    row = _row(db_url, ids["failed"])
    assert row.status == DeliveryStatus.PENDING and row.attempts == 0 and row.next_try_at >= before
    sent = runner.invoke(app, ["outbox", "retry", str(ids["sent"])])
    assert sent.exit_code == 1 and "已送达" in sent.output
    assert _row(db_url, ids["sent"]).status == DeliveryStatus.SENT
    assert runner.invoke(app, ["outbox", "retry"]).exit_code == 2


def test_retry_all_failed_says_how_old_they_are_and_asks_first(cli_env: Path, db_url: str) -> None:
    ids = _seed(db_url)
    declined = runner.invoke(app, ["outbox", "retry", "--failed"], input="n\n")
    assert declined.exit_code == 1 and "1 条" in declined.output and "2026-11-23 09:30" in declined.output
    assert _row(db_url, ids["failed"]).status == DeliveryStatus.FAILED
    accepted = runner.invoke(app, ["outbox", "retry", "--failed", "--yes"])
    assert accepted.exit_code == 0, accepted.output
    assert _row(db_url, ids["failed"]).status == DeliveryStatus.PENDING
    again = runner.invoke(app, ["outbox", "retry", "--failed", "--yes"])
    assert again.exit_code == 0 and "nothing has failed" in again.output


def test_cancel_withdraws_a_queued_one_and_refuses_a_sent_one(cli_env: Path, db_url: str) -> None:
    ids = _seed(db_url)
    result = runner.invoke(app, ["outbox", "cancel", str(ids["pending"])])
    assert result.exit_code == 0, result.output
    assert _row(db_url, ids["pending"]).status == DeliveryStatus.CANCELLED
    sent = runner.invoke(app, ["outbox", "cancel", str(ids["sent"])])
    assert sent.exit_code == 1 and "已发出，无法撤回" in sent.output
    assert _row(db_url, ids["sent"]).status == DeliveryStatus.SENT
    engine = make_engine(db_url)
    with Session(engine) as session:
        actions = [entry.action for entry in session.exec(select(AuditLog))]
    engine.dispose()
    assert actions == ["outbox_cancel"]
