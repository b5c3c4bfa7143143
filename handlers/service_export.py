"""Workbooks of community service: the wishes of a community, and a year of points for 民主评议党员.

Built here, written by the caller (the CLI now, a console download later). Typed text that
could read as a formula is kept as text (handlers/ledger.py ``inert``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from bot.core.clock import SHANGHAI
from handlers import texts
from handlers.ledger import inert
from storage import points, wishes
from storage.models import Member, Organization, Wish
from storage.orgs import branch_of

WISH_COLUMNS = (
    "编号",
    "心愿",
    "对象",
    "地点",
    "截止",
    "人数",
    "已认领",
    "状态",
    "认领人及完成情况",
    "发布时间",
)
SUMMARY_COLUMNS = ("姓名", "所在支部", *texts.POINTS_SOURCES.values(), "合计")
DETAIL_COLUMNS = ("日期", "姓名", "事项", "分值", "来源", "记录号")


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _sheet(sheet: Worksheet, title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    sheet.title = title
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"


def _saved(book: Workbook) -> bytes:
    inert(book)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _claims(session: Session, wish: Wish) -> str:
    assert wish.id is not None
    parts = []
    for claim in wishes.claims(session, wish.id, statuses=("active", "done", "released")):
        member = session.get(Member, claim.member_id)
        state = {"active": "办理中", "done": "已完成", "released": "已放弃"}[claim.status]
        parts.append(f"{member.name if member else '?'}（{state}{'：' + claim.note if claim.note else ''}）")
    return "；".join(parts)


def wishes_book(session: Session, found: Sequence[Wish]) -> bytes:
    """One row per wish, with who claimed it and how it went; residents' names in full, for staff."""
    rows = [
        (
            w.id,
            w.title,
            w.resident,
            w.place,
            _local(w.due_at),
            w.places,
            w.taken,
            texts.WISH_STATES.get(w.state, w.state),
            _claims(session, w),
            _local(w.created_at),
        )
        for w in found
    ]
    book = Workbook()
    assert book.active is not None
    _sheet(book.active, "微心愿", WISH_COLUMNS, rows)
    return _saved(book)


def points_book(session: Session, member_ids: Sequence[int], *, start: datetime, end: datetime) -> bytes:
    """A summary per member by source (for 民主评议党员) and every entry of the period."""
    summary: list[list[object]] = []
    for standing in points.ranking(session, member_ids=member_ids, start=start, end=end):
        member = standing.member
        assert member.id is not None
        home = session.get(Organization, member.org_id)
        by = {s: p for s, _, p in points.by_source(session, member_id=member.id, start=start, end=end)}
        summary.append(
            [
                member.name,
                branch_of(session, home).name if home else "",
                *(by.get(s, 0) for s in texts.POINTS_SOURCES),
                standing.points,
            ]
        )
    names = {m.id: m.name for m in (session.get(Member, i) for i in member_ids) if m is not None}
    detail = [
        (
            _local(e.at)[:10],
            names.get(e.member_id, ""),
            e.label,
            e.points,
            texts.POINTS_SOURCES.get(e.source, e.source),
            e.id,
        )
        for e in points.ledger(session, start=start, end=end)
        if e.member_id in names
    ]
    book = Workbook()
    assert book.active is not None
    _sheet(book.active, "积分汇总", SUMMARY_COLUMNS, summary)
    _sheet(book.create_sheet(), "积分明细", DETAIL_COLUMNS, detail)
    return _saved(book)
