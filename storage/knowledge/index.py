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
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Fields = Mapping[str, Sequence[str]]  # field name → its tokens
FEW_POSTINGS = 128  # up to this many postings a query is scored in plain Python (see Bm25Index._search_few)


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
    """An immutable index; build a new one when the documents change. Safe to search from many threads."""

    def __init__(
        self,
        docs: Sequence[Fields],
        weights: Mapping[str, float],
        params: Bm25Params = Bm25Params(),
    ) -> None:
        self.size = len(docs)
        self.params = params
        self.vocab: dict[str, int] = {}
        terms, owners, tfs, lengths = self._occurrences(docs, weights)
        self._build_postings(terms, owners, tfs, lengths)

    def _occurrences(
        self, docs: Sequence[Fields], weights: Mapping[str, float]
    ) -> tuple[
        npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]
    ]:
        """Every (term, document) pair once, with its weighted frequency; and the weighted lengths."""
        vocab = self.vocab
        ids: list[int] = []
        owner: list[int] = []
        weight_of: list[float] = []
        lengths = np.zeros(self.size, dtype=np.float64)
        for doc_id, fields in enumerate(docs):
            for name, tokens in fields.items():
                weight = weights.get(name, 0.0)
                if weight <= 0 or not tokens:
                    continue
                lengths[doc_id] += weight * len(tokens)
                ids.extend([vocab.setdefault(t, len(vocab)) for t in tokens])
                owner.extend([doc_id] * len(tokens))
                weight_of.extend([weight] * len(tokens))
        keys = np.asarray(ids, dtype=np.int64) * max(self.size, 1) + np.asarray(owner, dtype=np.int64)
        pairs, inverse = np.unique(keys, return_inverse=True)  # sorted: by term, then by document
        tfs = np.bincount(
            inverse.ravel(), weights=np.asarray(weight_of, dtype=np.float64), minlength=len(pairs)
        )
        return (
            pairs // max(self.size, 1),
            pairs % max(self.size, 1),
            tfs.astype(np.float64, copy=False),
            lengths,
        )

    def _build_postings(
        self,
        terms: npt.NDArray[np.int64],
        docs: npt.NDArray[np.int64],
        tfs: npt.NDArray[np.float64],
        lengths: npt.NDArray[np.float64],
    ) -> None:
        k1, b = self.params.k1, self.params.b
        doc_freq = np.bincount(terms, minlength=len(self.vocab)).astype(np.float64)
        self.idf = self._idf(doc_freq)
        avg = float(lengths.mean()) if self.size else 1.0
        avg = avg if avg > 0 else 1.0
        norm = k1 * (1 - b + b * lengths[docs] / avg)
        self.post_docs = docs.astype(np.int32)
        self.post_scores = (self.idf[terms] * tfs * (k1 + 1) / (tfs + norm)).astype(np.float32)
        self.offsets = np.zeros(len(self.vocab) + 1, dtype=np.int64)
        np.cumsum(doc_freq.astype(np.int64), out=self.offsets[1:])
        self._ends: list[int] = self.offsets.tolist()  # Python ints: indexing the array costs more per call

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

    def search(
        self, tokens: Sequence[str], k: int = 10, exclude: npt.NDArray[np.bool_] | None = None
    ) -> list[Hit]:
        """The ``k`` best documents for the query tokens (each occurrence counts, as in rank_bm25)."""
        counts = Counter(t for t in tokens if t in self.vocab)
        if not counts or k <= 0:
            return []
        ends = self._ends
        spans = [(ends[self.vocab[t]], ends[self.vocab[t] + 1], n) for t, n in counts.items()]
        if sum(b - a for a, b, _ in spans) <= FEW_POSTINGS:
            return self._search_few(spans, k, exclude)
        docs = np.concatenate([self.post_docs[a:b] for a, b, _ in spans])
        gains = np.concatenate([self._gains(a, b, n) for a, b, n in spans])
        if len(docs) * 8 > self.size:  # many postings: one dense scatter-add beats sorting them
            scores = np.bincount(docs, weights=gains, minlength=self.size)
            touched = np.bincount(docs, minlength=self.size) > 0
            if exclude is not None:
                touched &= ~exclude
            candidates = np.flatnonzero(touched)
            found = scores[candidates]
        else:  # fewer postings: work only on the documents they name
            candidates, inverse = np.unique(docs, return_inverse=True)
            found = np.bincount(inverse.ravel(), weights=gains, minlength=len(candidates))
            if exclude is not None:
                keep = ~exclude[candidates]
                candidates, found = candidates[keep], found[keep]
        return self._top(candidates, found.astype(np.float64, copy=False), k)

    def _gains(self, start: int, end: int, count: int) -> npt.NDArray[np.float32]:
        """A term's postings' scores, times the number of times the question says it."""
        gains = self.post_scores[start:end]
        return gains * count if count > 1 else gains

    def _search_few(
        self, spans: list[tuple[int, int, int]], k: int, exclude: npt.NDArray[np.bool_] | None
    ) -> list[Hit]:
        """``search`` for a handful of postings, in plain Python: numpy's fixed cost per call would
        exceed the work. Adds in the same order as the array path, so the scores are the same floats."""
        scores: dict[int, float] = {}
        for start, end, count in spans:
            docs, gains = self.post_docs[start:end].tolist(), self._gains(start, end, count).tolist()
            if not scores:  # a term's postings name each document once
                scores = dict(zip(docs, gains, strict=True))
                continue
            for doc, gain in zip(docs, gains, strict=True):
                scores[doc] = scores.get(doc, 0.0) + gain
        by_document = sorted(scores) if len(spans) > 1 else scores  # one term's postings already are
        hits: list[Hit] = []
        for doc in sorted(by_document, key=scores.__getitem__, reverse=True):  # stable: ties by document
            if exclude is None or not exclude[doc]:
                hits.append(Hit(doc, scores[doc]))
                if len(hits) == k:
                    break
        return hits

    @staticmethod
    def _top(candidates: npt.NDArray[np.int64], found: npt.NDArray[np.float64], k: int) -> list[Hit]:
        if len(found) > k:
            part = np.argpartition(-found, k - 1)[:k]
            candidates, found = candidates[part], found[part]
        order = np.lexsort((candidates, -found))  # best first; ties by document order
        return [Hit(int(candidates[i]), float(found[i])) for i in order]

    def memory_bytes(self) -> int:
        arrays = (self.post_docs, self.post_scores, self.offsets, self.idf)
        vocab = sum(len(t) * 4 + 60 for t in self.vocab)  # rough size of the dict of str
        return sum(a.nbytes for a in arrays) + vocab


def max_idf(index: Bm25Index) -> float:
    return float(index.idf.max()) if len(index.idf) else math.log(2)
