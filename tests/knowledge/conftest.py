"""A knowledge base over the fixture data, with one jieba cache for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.knowledge.base import KnowledgeBase
from tests.knowledge.fixture_kb import write_kb


@pytest.fixture(scope="session")
def kb_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kb-cache")


@pytest.fixture(scope="session")
def kb_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_kb(tmp_path_factory.mktemp("kb-data"))


@pytest.fixture(scope="session")
def kb(kb_data: Path, kb_cache: Path) -> KnowledgeBase:
    base = KnowledgeBase(kb_data, cache_dir=kb_cache)
    base.warm()
    return base
