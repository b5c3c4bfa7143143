from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from storage.db import session_scope
from storage.knowledge.base import RECHECK_SECONDS, KnowledgeBase
from storage.knowledge.entries import Entry, save_local
from storage.orgs import get_or_create


def test_the_segmented_base_is_cached_and_not_segmented_again(
    kb_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = KnowledgeBase(kb_data, cache_dir=tmp_path)
    first.warm()
    second = KnowledgeBase(kb_data, cache_dir=tmp_path)

    def must_not_segment(*_args: object) -> None:
        raise AssertionError("the built-in base was segmented again")

    monkeypatch.setattr(KnowledgeBase, "_segment_builtin", must_not_segment)
    assert second.search("支委会多久开一次").hits[0].entry.key == "committee-frequency"


def test_a_damaged_cache_is_ignored_and_rewritten(kb_data: Path, tmp_path: Path) -> None:
    KnowledgeBase(kb_data, cache_dir=tmp_path).warm()
    [cache] = tmp_path.glob("kb-*.json")
    cache.write_text('{"entries": [{"key": 1}], "fields"', encoding="utf-8")
    fresh = KnowledgeBase(kb_data, cache_dir=tmp_path)
    assert fresh.search("支委会多久开一次").hits[0].entry.key == "committee-frequency"
    assert '"fields"' in cache.read_text(encoding="utf-8") and cache.read_text(encoding="utf-8").endswith("}")


def test_a_changed_base_is_segmented_again(kb_data: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for path in kb_data.rglob("*"):
        target = data / path.relative_to(kb_data)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    KnowledgeBase(data, cache_dir=tmp_path).warm()
    extra = "- key: new-one\n  question: 光荣在党50年纪念章发给谁\n  answer: 党龄满50年的党员。\n"
    (data / "kb" / "extra.yaml").write_text(extra, encoding="utf-8")
    fresh = KnowledgeBase(data, cache_dir=tmp_path)
    assert fresh.search("光荣在党50年纪念章").hits[0].entry.key == "new-one"


def test_a_local_entry_overrides_the_builtin_one_for_its_branch_only(
    kb: KnowledgeBase, engine: Engine
) -> None:
    with session_scope(engine) as session:
        committee, _ = get_or_create(session, name="某街道党工委", kind="党工委", parent_id=None)
        first, _ = get_or_create(session, name="第一党支部", kind="党支部", parent_id=committee.id)
        second, _ = get_or_create(session, name="第二党支部", kind="党支部", parent_id=committee.id)
        save_local(
            session,
            entry=Entry(
                key="theme-day-date",
                question="本支部主题党日定在哪天？",
                answer="每月5日上午，社区三楼会议室。",
                alternatives=("主题党日哪天",),
                org_id=first.id,
            ),
        )
        assert first.id is not None and second.id is not None and committee.id is not None
        mine = kb.search("主题党日哪天", session=session, org_ids=[first.id, committee.id]).hits[0]
        theirs = kb.search("主题党日哪天", session=session, org_ids=[second.id, committee.id]).hits[0]
        anyone = kb.search("主题党日哪天", session=session).hits[0]
    assert mine.entry.answer.startswith("每月5日") and mine.entry.is_local
    assert not theirs.entry.is_local and theirs.entry.key == "theme-day-date"
    assert not anyone.entry.is_local


def test_local_changes_from_another_process_are_seen(kb: KnowledgeBase, engine: Engine) -> None:
    with session_scope(engine) as session:
        branch, _ = get_or_create(session, name="第一党支部", kind="党支部", parent_id=None)
        assert branch.id is not None
        before = kb.search("会议室在哪", session=session, org_ids=[branch.id]).hits
        assert all(f.entry.key != "room" for f in before)
    with session_scope(engine) as session:  # as `zhibu kb add` would, in its own transaction
        save_local(
            session,
            entry=Entry(key="room", question="支部会议室在哪？", answer="社区三楼301。", org_id=branch.id),
        )
    with session_scope(engine) as session:
        hits = kb.search("会议室在哪", session=session, org_ids=[branch.id]).hits
    assert hits[0].entry.key == "room"


def test_an_entry_added_by_zhibu_kb_add_in_another_process_is_answered_within_the_recheck_bound(
    kb_data: Path, kb_cache: Path, engine: Engine, cli_env: Path
) -> None:
    """The serving process reads the local entries' version at most once per ``RECHECK_SECONDS``
    (not per question); an edit by another process is answered once that much time has passed."""
    now = [100.0]
    kb = KnowledgeBase(kb_data, cache_dir=kb_cache, clock=lambda: now[0])
    with session_scope(engine) as session:
        branch, _ = get_or_create(session, name="第一党支部", kind="党支部", parent_id=None)
    with session_scope(engine) as session:
        before = kb.search("会议室在哪", session=session, org_ids=[branch.id]).hits
    assert all(f.entry.key != "room" for f in before)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with session_scope(engine) as session:  # the next questions cost the knowledge base no round trip
        kb.search("会议室在哪", session=session, org_ids=[branch.id])
        kb.search("三会一课是什么", session=session, org_ids=[branch.id])
    assert statements == []

    zhibu = Path(sys.executable).with_name("zhibu")
    entry = ["--key", "room", "-q", "支部会议室在哪？", "-a", "社区三楼301。"]
    subprocess.run(
        [str(zhibu), "kb", "add", "--org", "第一党支部", *entry],
        check=True,
        capture_output=True,
    )
    now[0] += RECHECK_SECONDS
    with session_scope(engine) as session:
        hits = kb.search("会议室在哪", session=session, org_ids=[branch.id]).hits
    assert hits[0].entry.key == "room" and hits[0].entry.answer == "社区三楼301。"
