"""BM25 over pre-segmented fields, as a precomputed inverted index in numpy arrays.

Each document has several fields (question, alternatives, keywords, answer); a
term's frequency is the weighted sum of its frequencies in the fields and the
document length the weighted sum of the field lengths (the BM25F simplification).
Because the BM25 contribution of a term to a document depends only on the pair,
it is computed once at build time; a query is then a few array gathers and a
scatter-add, which is why this stays fast at 100,000 entries (see bench/query.py).

IDF is Okapi's, with rank_bm25's floor for terms in more than half the documents,
so with all field weights 1 the scores equal ``rank_bm25.BM25Okapi`` exactly.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Fields = Mapping[str, Sequence[str]]  # field name → its tokens


@dataclass(frozen=True, slots=True)
class Bm25Params:
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25  # rank_bm25's floor for negative IDF, as a share of the mean IDF


@dataclass(frozen=True, slots=True)
class Hit:
    doc: int
    score: float


class Bm25Index:
    """An immutable index; build a new one when the documents change."""

    def __init__(
        self,
        docs: Sequence[Fields],
        weights: Mapping[str, float],
        params: Bm25Params = Bm25Params(),
    ) -> None:
        self.size = len(docs)
        self.params = params
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[float] = []
        lengths = np.zeros(self.size, dtype=np.float64)
        for doc_id, fields in enumerate(docs):
            counts: Counter[str] = Counter()
            for name, tokens in fields.items():
                weight = weights.get(name, 0.0)
                if weight <= 0:
                    continue
                lengths[doc_id] += weight * len(tokens)
                for token in tokens:
                    counts[token] += weight
            for token, tf in counts.items():
                rows.append(vocab.setdefault(token, len(vocab)))
                cols.append(doc_id)
                tfs.append(tf)
        self.vocab = vocab
        self._build_postings(np.asarray(rows, dtype=np.int32), np.asarray(cols, dtype=np.int32),
                             np.asarray(tfs, dtype=np.float64), lengths)
        self._scratch = np.zeros(self.size, dtype=np.float32)
        self._lock = threading.Lock()  # the scratch array is shared; handlers run in threads

    def _build_postings(self, terms: npt.NDArray[np.int32], docs: npt.NDArray[np.int32],
                        tfs: npt.NDArray[np.float64], lengths: npt.NDArray[np.float64]) -> None:
        k1, b = self.params.k1, self.params.b
        order = np.lexsort((docs, terms))  # grouped by term, doc ids ascending inside a term
        terms, docs, tfs = terms[order], docs[order], tfs[order]
        doc_freq = np.bincount(terms, minlength=len(self.vocab)).astype(np.float64)
        self.idf = self._idf(doc_freq)
        avg = float(lengths.mean()) if self.size else 1.0
        avg = avg if avg > 0 else 1.0
        norm = k1 * (1 - b + b * lengths[docs] / avg)
        self.post_docs = docs
        self.post_scores = (self.idf[terms] * tfs * (k1 + 1) / (tfs + norm)).astype(np.float32)
        self.offsets = np.zeros(len(self.vocab) + 1, dtype=np.int64)
        np.cumsum(doc_freq.astype(np.int64), out=self.offsets[1:])

    def _idf(self, doc_freq: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        n = float(self.size)
        idf = np.log((n - doc_freq + 0.5) / (doc_freq + 0.5)) if len(doc_freq) else np.zeros(0)
        mean = float(idf.mean()) if len(idf) else 0.0
        return np.where(idf < 0, self.params.epsilon * mean, idf)

    def term_idf(self, term: str) -> float | None:
        """The term's IDF, or None when no document contains it."""
        tid = self.vocab.get(term)
        return None if tid is None else float(self.idf[tid])

    def postings(self, term: str) -> npt.NDArray[np.int32]:
        tid = self.vocab.get(term)
        if tid is None:
            return np.zeros(0, dtype=np.int32)
        return self.post_docs[self.offsets[tid] : self.offsets[tid + 1]]

    def search(self, tokens: Sequence[str], k: int = 10,
               exclude: npt.NDArray[np.bool_] | None = None) -> list[Hit]:
        """The ``k`` best documents for the query tokens (each occurrence counts, as in rank_bm25)."""
        counts = Counter(t for t in tokens if t in self.vocab)
        if not counts or k <= 0:
            return []
        with self._lock:
            candidates, found = self._accumulate(counts)
        if exclude is not None:
            keep = ~exclude[candidates]
            candidates, found = candidates[keep], found[keep]
        return self._top(candidates, found, k)

    def _accumulate(self, counts: Counter[str]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        scores = self._scratch
        touched: list[npt.NDArray[np.int32]] = []
        for term, times in counts.items():
            tid = self.vocab[term]
            start, end = self.offsets[tid], self.offsets[tid + 1]
            docs = self.post_docs[start:end]
            scores[docs] += self.post_scores[start:end] * times
            touched.append(docs)
        candidates = np.unique(np.concatenate(touched)) if len(touched) > 1 else touched[0]
        found = scores[candidates]
        scores[candidates] = 0.0
        return candidates, found

    @staticmethod
    def _top(candidates: npt.NDArray[np.int32], found: npt.NDArray[np.float32], k: int) -> list[Hit]:
        if len(found) > k:
            part = np.argpartition(-found, k - 1)[:k]
            candidates, found = candidates[part], found[part]
        order = np.lexsort((candidates, -found))  # best first; ties by document order
        return [Hit(int(candidates[i]), float(found[i])) for i in order]

    def memory_bytes(self) -> int:
        arrays = (self.post_docs, self.post_scores, self.offsets, self.idf, self._scratch)
        vocab = sum(len(t) * 4 + 60 for t in self.vocab)  # rough size of the dict of str
        return sum(a.nbytes for a in arrays) + vocab


def idf_sum(index: Bm25Index, tokens: Sequence[str], unknown: float) -> float:
    """Total IDF of the distinct query terms; ``unknown`` stands in for terms the index lacks."""
    total = 0.0
    for term in set(tokens):
        idf = index.term_idf(term)
        total += unknown if idf is None else max(idf, 0.0)
    return total


def max_idf(index: Bm25Index) -> float:
    return float(index.idf.max()) if len(index.idf) else math.log(2)
