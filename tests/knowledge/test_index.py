from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from storage.knowledge import index as index_module
from storage.knowledge.index import Bm25Index

WORDS = st.sampled_from([f"w{i}" for i in range(25)])
CORPUS = st.lists(st.lists(WORDS, min_size=1, max_size=12), min_size=2, max_size=30)


@given(CORPUS, st.lists(WORDS, min_size=1, max_size=4))
def test_scores_equal_rank_bm25_with_one_field(corpus: list[list[str]], query: list[str]) -> None:
    reference = BM25Okapi(corpus).get_scores(query)
    hits = Bm25Index([{"text": doc} for doc in corpus], {"text": 1.0}).search(query, k=10)
    for hit in hits:
        assert hit.score == pytest.approx(reference[hit.doc], rel=1e-5, abs=1e-5)
    # the same top 10 up to ties: our k-th score is the reference's k-th best among matching documents
    matching = sorted((s for d, s in enumerate(reference) if set(query) & set(corpus[d])), reverse=True)[:10]
    assert [h.score for h in hits] == pytest.approx(matching, rel=1e-5, abs=1e-5)


@given(
    CORPUS,
    st.lists(WORDS, min_size=1, max_size=6),
    st.lists(st.booleans(), min_size=30, max_size=30),
    st.integers(1, 12),
)
def test_few_postings_are_ranked_exactly_as_many(
    corpus: list[list[str]], query: list[str], hidden: list[bool], k: int
) -> None:
    """Scored in plain Python or with the arrays: the same documents, order and scores (floats equal)."""
    index = Bm25Index([{"a": doc[::2], "b": doc[1::2]} for doc in corpus], {"a": 3.0, "b": 0.3})
    exclude = np.array(hidden[: len(corpus)])
    few, few_postings = index.search(query, k, exclude=exclude), index_module.FEW_POSTINGS
    index_module.FEW_POSTINGS = -1
    try:
        many = index.search(query, k, exclude=exclude)
    finally:
        index_module.FEW_POSTINGS = few_postings
    assert few == many


def test_ties_are_ranked_by_document_order() -> None:
    index = Bm25Index([{"t": ["b"]}, {"t": ["a"]}, {"t": ["c"]}], {"t": 1.0})
    hits = index.search(["a", "b"])
    assert [h.doc for h in hits] == [0, 1] and hits[0].score == hits[1].score


def test_field_weights_prefer_the_question_over_the_answer() -> None:
    docs = [
        {"question": ["党费"], "answer": ["交纳", "标准"]},
        {"question": ["预备期"], "answer": ["党费", "从", "支部", "大会", "通过", "起", "交纳"]},
        {"question": ["其他"], "answer": ["无关"]},
    ]
    index = Bm25Index(docs, {"question": 3.0, "answer": 0.3})
    assert [h.doc for h in index.search(["党费"])] == [0, 1]


def test_excluded_documents_never_come_back() -> None:
    index = Bm25Index([{"t": ["a"]}, {"t": ["a", "b"]}, {"t": ["b"]}], {"t": 1.0})
    exclude = np.array([True, False, False])
    assert [h.doc for h in index.search(["a"], exclude=exclude)] == [1]


def test_empty_index_and_unknown_terms_find_nothing() -> None:
    assert Bm25Index([], {"t": 1.0}).search(["a"]) == []
    assert Bm25Index([{"t": ["a"]}], {"t": 1.0}).search(["zzz"]) == []
