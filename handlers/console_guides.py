"""The console's 清单 page: read a guide typed or uploaded (the CLI's parsers), show it as a branch will
receive it, and report per branch and chat where the month's guide went.

Publishing stores the guide like the chat's 发布清单 (storage/guides.py); schedules/guides.py sends it.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from bot.core.messages import Reply
from handlers.console import Scope
from handlers.guide import render, written
from storage.guide_import import GuideFormatError, check_draft_month, read_guide
from storage.guides import GuideDraft, IssuedGuide
from storage.models import Delivery, DeliveryStatus, Guide, GuideItem, Organization

KIND = "guide"  # the outbox kind and batch prefix schedules/guides.py writes
UPLOADS = (".md", ".markdown", ".txt", ".yaml", ".yml", ".xlsx")


def draft_of(text: str, upload: tuple[str, bytes] | None, month: str) -> GuideDraft:
    """The guide in the uploaded file, else in the text; GuideFormatError (or BadMonth) says what is wrong."""
    if upload is None or not upload[1]:
        return written(text.strip(), month)
    suffix = Path(upload[0]).suffix.lower()
    if suffix not in UPLOADS:
        raise GuideFormatError(f"不支持的文件类型 {suffix or upload[0]}，请用 .md、.yaml 或 .xlsx")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"guide{suffix}"
        path.write_bytes(upload[1])
        draft = read_guide(path)
    check_draft_month(draft, month)
    return draft


def preview(draft: GuideDraft, *, issuer: Organization, branch: Organization, month: str) -> Reply:
    """What ``branch`` will receive from this draft alone (handlers/guide.render), nothing stored."""
    guide = Guide(org_id=issuer.id or 0, month=month, title=draft.title, requirements=draft.requirements)
    items = tuple(
        GuideItem(guide_id=0, position=n, topic=i.topic, content=i.content, form=i.form, due=i.due)
        for n, i in enumerate(draft.items, 1)
    )
    return render(month, branch, [IssuedGuide(guide, issuer, items)])


@dataclass(frozen=True, slots=True)
class BranchReport:
    branch: Organization
    rows: list[Delivery]  # one per chat (and per supplement), newest first

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def state(self) -> str:
        """The branch at a glance: "none" sent yet, any "failed", any "pending", else all "sent"."""
        statuses = {r.status for r in self.rows}
        if not statuses:
            return "none"
        if DeliveryStatus.FAILED in statuses:
            return "failed"
        return "sent" if statuses == {DeliveryStatus.SENT} else "pending"


def states(reports: list[BranchReport]) -> dict[str, int]:
    """How many branches are in each state, for the report's summary line."""
    counts = dict.fromkeys(("sent", "failed", "pending", "none"), 0)
    for r in reports:
        counts[r.state] += 1
    return counts


def report(session: Session, scope: Scope, month: str) -> list[BranchReport]:
    """Every managed branch with the month's guide deliveries to its chats; one query for all branches."""
    rows = session.exec(
        select(Delivery)
        .where(
            Delivery.kind == KIND,
            col(Delivery.batch).startswith(f"{KIND}:{month}:"),
            col(Delivery.org_id).in_(sorted(scope.branch_ids)),
        )
        .order_by(col(Delivery.id).desc())
    )
    by_branch: dict[int, list[Delivery]] = defaultdict(list)
    for row in rows:
        by_branch[row.org_id or 0].append(row)
    return [BranchReport(b, by_branch.get(b.id or 0, [])) for b in scope.branches]


def failed_ids(reports: list[BranchReport]) -> list[int]:
    return [r.id for b in reports for r in b.rows if r.status == DeliveryStatus.FAILED and r.id is not None]
