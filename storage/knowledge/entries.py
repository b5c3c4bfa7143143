"""Knowledge entries: the built-in base shipped as YAML, and each branch's own entries in the database.

A local entry belongs to one organization (its ``org_id``) and answers for that
organization and everything below it. A local entry with the key of a built-in
entry replaces the built-in one there only (e.g. the branch's fixed 主题党日 day,
its meeting room, who collects 党费). The caller owns the transaction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, func, select

from bot.core.errors import ZhibuError
from storage.models import KnowledgeEntry, utcnow

LIST_SEPARATORS = ("|", "；", ";", "\n")


class EntryError(ZhibuError):
    """A knowledge entry that cannot be used as written (missing field, duplicate key...)."""


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    question: str
    answer: str
    alternatives: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    source: str = ""
    org_id: int | None = None  # None: built in, for everyone

    @property
    def is_local(self) -> bool:
        return self.org_id is not None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["alternatives"], data["keywords"] = list(self.alternatives), list(self.keywords)
        data.pop("org_id")
        return data


@dataclass(frozen=True, slots=True)
class LocalVersion:
    """Enough to notice that local entries changed in any process: count, newest change, ids."""

    count: int
    newest: str
    id_sum: int  # with count and newest: also a delete and an add within one timestamp tick


def _as_list(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        for sep in LIST_SEPARATORS:
            value = value.replace(sep, "|")
        return tuple(v.strip() for v in value.split("|") if v.strip())
    return tuple(str(v).strip() for v in value if str(v).strip())


def entry_from_mapping(raw: dict[str, Any], *, where: str, org_id: int | None = None) -> Entry:
    """Validate one entry as read from YAML or CSV; ``where`` names it in error messages."""
    missing = [name for name in ("key", "question", "answer") if not str(raw.get(name) or "").strip()]
    if missing:
        raise EntryError(f"{where}: 缺少字段 / missing field(s): {', '.join(missing)}")
    return Entry(
        key=str(raw["key"]).strip(),
        question=str(raw["question"]).strip(),
        answer=str(raw["answer"]).strip(),
        alternatives=_as_list(raw.get("alternatives")),
        keywords=_as_list(raw.get("keywords")),
        source=str(raw.get("source") or "").strip(),
        org_id=org_id,
    )


def read_yaml_entries(text: str, *, name: str, org_id: int | None = None) -> list[Entry]:
    raw = yaml.safe_load(text) or []
    if isinstance(raw, dict):
        raw = raw.get("entries", [])
    if not isinstance(raw, list):
        raise EntryError(f"{name}: 应为条目列表 / expected a list of entries")
    return [entry_from_mapping(item, where=f"{name} #{i + 1}", org_id=org_id) for i, item in enumerate(raw)]


def read_csv_entries(text: str, *, name: str, org_id: int | None = None) -> list[Entry]:
    """CSV with a header: key,question,alternatives,keywords,answer,source (lists split by |)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    return [
        entry_from_mapping(dict(row), where=f"{name} 第{i + 2}行", org_id=org_id)
        for i, row in enumerate(reader)
    ]


def read_entries_file(path: Path, *, org_id: int | None = None) -> list[Entry]:
    """A YAML or CSV file of entries (UTF-8, or GBK as Excel saves it in China)."""
    data = path.read_bytes()
    try:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("gbk")
        if path.suffix.lower() == ".csv":
            return read_csv_entries(text, name=path.name, org_id=org_id)
        return read_yaml_entries(text, name=path.name, org_id=org_id)
    except (UnicodeDecodeError, yaml.YAMLError, csv.Error, AttributeError, TypeError) as exc:
        raise EntryError(f"{path.name}: 无法读取 / cannot read — {exc}") from exc


def unique_keys(entries: Sequence[Entry], *, where: str) -> list[Entry]:
    seen: dict[tuple[int | None, str], Entry] = {}
    for entry in entries:
        slot = (entry.org_id, entry.key)
        if slot in seen:
            raise EntryError(f"{where}: 重复的 key / duplicate key {entry.key!r}")
        seen[slot] = entry
    return list(entries)


def builtin_files(data_dir: Path) -> list[Path]:
    kb = data_dir / "kb"
    return sorted(kb.glob("*.yaml")) + sorted(kb.glob("*.yml")) if kb.is_dir() else []


def content_hash(paths: Iterable[Path], *extra: str) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for item in extra:
        digest.update(item.encode() + b"\0")
    return digest.hexdigest()


def load_builtin(data_dir: Path) -> list[Entry]:
    entries: list[Entry] = []
    for path in builtin_files(data_dir):
        entries.extend(read_yaml_entries(path.read_text(encoding="utf-8"), name=f"kb/{path.name}"))
    return unique_keys(entries, where="built-in knowledge base")


def _to_entry(row: KnowledgeEntry) -> Entry:
    return Entry(
        key=row.key,
        question=row.question,
        answer=row.answer,
        alternatives=tuple(row.alternatives),
        keywords=tuple(row.keywords),
        source=row.source,
        org_id=row.org_id,
    )


def local_entries(session: Session, *, org_ids: Sequence[int] | None = None) -> list[Entry]:
    """Local entries of the given organizations (all of them when None)."""
    query = select(KnowledgeEntry).where(col(KnowledgeEntry.org_id).is_not(None))
    if org_ids is not None:
        query = query.where(col(KnowledgeEntry.org_id).in_(org_ids))
    return [
        _to_entry(row)
        for row in session.exec(query.order_by(col(KnowledgeEntry.org_id), col(KnowledgeEntry.key)))
    ]


# Built once: every question runs it, and building the expression cost more than the query.
_LOCAL = KnowledgeEntry.__table__  # type: ignore[attr-defined]
_LOCAL_VERSION = select(
    func.count(), func.max(_LOCAL.c.updated_at), func.coalesce(func.sum(_LOCAL.c.id), 0)
).where(_LOCAL.c.org_id.is_not(None))


def local_version(session: Session) -> LocalVersion:
    count, newest, id_sum = session.connection().execute(_LOCAL_VERSION).one()
    return LocalVersion(int(count), str(newest or ""), int(id_sum or 0))


# This process's edits of local entries: a fresh number at each edit and at the end of each editing
# transaction, so a reader that saw one number knows any later edit (or its commit or rollback) happened.
_EDITED = "knowledge_edited"
_edit_numbers = itertools.count(1)
_last_edit = 0


def local_edits() -> int:
    """Changes whenever this process edits local entries or ends a transaction that did."""
    return _last_edit


def _edited(session: Session) -> None:
    global _last_edit
    session.info[_EDITED] = True
    _last_edit = next(_edit_numbers)


@event.listens_for(OrmSession, "after_commit")
@event.listens_for(OrmSession, "after_rollback")
def _edit_ended(session: OrmSession) -> None:
    global _last_edit
    if session.info.pop(_EDITED, False):
        _last_edit = next(_edit_numbers)


def save_local(session: Session, *, entry: Entry) -> bool:
    """Insert or update a branch's entry by (org, key); True when it was new."""
    if entry.org_id is None:
        raise EntryError("本地条目必须属于某个组织 / a local entry needs an organization")
    row = session.exec(
        select(KnowledgeEntry).where(KnowledgeEntry.org_id == entry.org_id, KnowledgeEntry.key == entry.key)
    ).first()
    created = row is None
    if row is None:
        row = KnowledgeEntry(key=entry.key, org_id=entry.org_id, question=entry.question, answer=entry.answer)
    row.question, row.answer, row.source = entry.question, entry.answer, entry.source
    row.alternatives, row.keywords = list(entry.alternatives), list(entry.keywords)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    _edited(session)
    return created


def delete_local(session: Session, *, org_id: int, key: str) -> bool:
    row = session.exec(
        select(KnowledgeEntry).where(KnowledgeEntry.org_id == org_id, KnowledgeEntry.key == key)
    ).first()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    _edited(session)
    return True


def dump_yaml(entries: Iterable[Entry]) -> str:
    return yaml.safe_dump([e.as_dict() for e in entries], allow_unicode=True, sort_keys=False, width=100)
