"""The knowledge base a process answers from: built-in entries, local entries, one ranked index.

The built-in base is segmented once and cached on disk keyed by a hash of its
files, the dictionaries and the pipeline version, so start-up never re-segments
it. Local entries (few) are segmented when they change; a cheap version query,
at most once a second, notices changes made by another process (``zhibu kb add``).
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlmodel import Session

from storage.knowledge.entries import (
    Entry,
    EntryError,
    LocalVersion,
    builtin_files,
    content_hash,
    entry_from_mapping,
    load_builtin,
    local_edits,
    local_entries,
    local_version,
)
from storage.knowledge.glossary import translate
from storage.knowledge.index import Bm25Index, max_idf
from storage.knowledge.normalize import Analyzer, Lexicon, load_lexicon, normalize
from storage.knowledge.pinyin import Correction, PinyinIndex
from storage.knowledge.segmenter import MAIN_WORDS, Segmenter, default_cache_dir

logger = logging.getLogger(__name__)

PIPELINE_VERSION = "4"  # bump when normalize/segment behaviour changes, to invalidate caches
FIELD_WEIGHTS = {"question": 3.0, "alternatives": 2.0, "keywords": 2.0, "answer": 0.3}
DocFields = dict[str, list[str]]
PHRASING = "phrasing:"
RECHECK_SECONDS = 1.0  # how long another process's edit of local entries may go unseen
# Small on purpose: a big long-lived cache makes full garbage collections slow (bench/README.md, "The tail")
QUESTION_CACHE = 1024  # questions whose tokens are kept
HIDDEN_CACHE = 1024  # lineages (a district's branches) whose visibility mask is kept, per index


def shipped_data_dir() -> Path:
    return Path(str(files("storage.knowledge") / "data"))


@dataclass(frozen=True, slots=True)
class Found:
    entry: Entry
    score: float
    coverage: float  # share of the question's IDF that this entry matches, 0..1
    fit: float  # how fully the question says one of the entry's phrasings (IDF share of the best one), 0..1
    on_topic: bool  # a matched word is a party-building term (user dictionary or alias table)


@dataclass(frozen=True, slots=True)
class SearchResult:
    tokens: tuple[str, ...]
    hits: tuple[Found, ...]


@dataclass(frozen=True, slots=True)
class _Phrasing:
    weights: dict[str, float]  # each distinct word's IDF (negative IDF counts as 0)
    total: float

    @classmethod
    def of(cls, index: Bm25Index, words: Sequence[str]) -> _Phrasing:
        weights = {t: max(index.term_idf(t) or 0.0, 0.0) for t in set(words)}
        return cls(weights, sum(weights.values()))


def _fit(phrasings: list[_Phrasing], query: set[str]) -> float:
    """How fully the question says one of the phrasings: the largest share of a phrasing's IDF it says.

    A phrasing the question says none, one or all of the words of is answered without summing (the
    same floats as summing): most are one of those for a question of a few words."""
    best = 0.0
    for phrasing in phrasings:
        weights, total = phrasing.weights, phrasing.total
        said = weights.keys() & query
        if not said or total <= 0:
            continue
        if len(said) == 1:
            fit = weights[said.pop()] / total
        elif len(said) == len(weights):
            fit = 1.0
        else:
            fit = sum(w for t, w in weights.items() if t in said) / total
        if fit > best:
            best = fit
    return best


@dataclass(frozen=True)
class _Built:
    entries: tuple[Entry, ...]
    index: Bm25Index
    local_version: LocalVersion | None
    org_of: npt.NDArray[np.int64]  # -1 for built-in entries
    builtin_doc: dict[str, int]  # key → document of the built-in entry
    phrasings: list[list[_Phrasing]]  # per document: its question and alternatives, IDF-weighted
    words: list[frozenset[str]]  # per document: the words its score counts (those of weighted fields)
    worth: dict[str, float]  # each indexed word's IDF (negative counts as 0), for the coverage
    unknown: float  # what a word no entry has is worth: the highest IDF
    # visibility per asker's organizations (a few lineages in a running process); read-only masks
    hidden: dict[tuple[int, ...], npt.NDArray[np.bool_]] = field(default_factory=dict)


class KnowledgeBase:
    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        cache_dir: Path | None = None,
        main_words: int | None = MAIN_WORDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.data_dir = data_dir or shipped_data_dir()
        self.cache_dir = cache_dir or default_cache_dir()
        self.lexicon: Lexicon = load_lexicon(self.data_dir)
        self.segmenter = Segmenter(self.lexicon.all_words(), cache_dir=self.cache_dir, main_words=main_words)
        self.analyzer = Analyzer(self.lexicon, self.segmenter.cut)
        # the user dictionary's words; the alias table also holds everyday words (谁, 哪里, 怎么)
        self.terms = frozenset(w.word for w in self.lexicon.words) - self.lexicon.stopwords
        spoken = self.terms | {alias for alias, term in self.lexicon.aliases.items() if term in self.terms}
        self.pinyin = PinyinIndex(spoken, known=self.segmenter.knows)
        glossary = self.data_dir / "glossary.yaml"
        self._glossary = glossary if glossary.exists() else None
        self._main_words = main_words
        self._builtin: tuple[tuple[Entry, ...], list[DocFields]] | None = None
        self._local_tokens: dict[Entry, DocFields] = {}
        self._built: _Built | None = None
        self._lock = threading.Lock()
        self._clock = clock
        self._checked_at = -math.inf  # when the local version was last read, and this process's edits then
        self._checked_edits = -1
        self._question_tokens = lru_cache(maxsize=QUESTION_CACHE)(self._tokens_of)

    # --- segmentation, cached -------------------------------------------------
    def fields_of(self, entry: Entry) -> DocFields:
        tokens = self.analyzer.tokens
        phrasings = [tokens(text) for text in (entry.question, *entry.alternatives)]
        fields = {
            "question": phrasings[0],
            "alternatives": [t for phrasing in phrasings[1:] for t in phrasing],
            "keywords": [t for kw in entry.keywords for t in tokens(kw)],
            "answer": tokens(entry.answer),
        }
        # each phrasing on its own too (not indexed: no weight), to judge how fully a question says it
        fields.update({f"{PHRASING}{n}": phrasing for n, phrasing in enumerate(phrasings)})
        return fields

    def builtin(self) -> tuple[tuple[Entry, ...], list[DocFields]]:
        """Built-in entries and their segmented fields, from the disk cache when it is current."""
        if self._builtin is None:
            key = content_hash(
                builtin_files(self.data_dir),
                self.lexicon.fingerprint(),
                PIPELINE_VERSION,
                str(self._main_words),
            )
            path = self.cache_dir / f"kb-{key[:24]}.json"
            self._builtin = self._read_cache(path) or self._segment_builtin(path)
        return self._builtin

    def _read_cache(self, path: Path) -> tuple[tuple[Entry, ...], list[DocFields]] | None:
        """JSON, not pickle: a cache file must never be able to run code."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = tuple(entry_from_mapping(raw, where=path.name) for raw in data["entries"])
            fields = [{name: list(tokens) for name, tokens in doc.items()} for doc in data["fields"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError, EntryError):
            return None
        return (entries, fields) if len(entries) == len(fields) else None

    def _segment_builtin(self, path: Path) -> tuple[tuple[Entry, ...], list[DocFields]]:
        entries = tuple(load_builtin(self.data_dir))
        fields = [self.fields_of(e) for e in entries]
        try:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            payload = {"entries": [e.as_dict() for e in entries], "fields": fields}
            tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
            tmp.replace(path)
            stale = [*self.cache_dir.glob("kb-*.json"), *self.cache_dir.glob("kb-*.pickle")]
            for old in stale:
                if old != path:  # caches of earlier versions of the data (or of this code)
                    old.unlink(missing_ok=True)
        except OSError:
            logger.warning("cannot write the knowledge cache %s", path)
        return entries, fields

    # --- the index ------------------------------------------------------------
    def _rebuild(self, local: Sequence[Entry], version: LocalVersion | None) -> _Built:
        entries, fields = self.builtin()
        local_fields = [self._local_tokens.get(e) or self.fields_of(e) for e in local]
        self._local_tokens = dict(zip(local, local_fields, strict=True))
        docs = list(fields) + local_fields
        org_of = np.asarray([-1] * len(entries) + [e.org_id or -1 for e in local], dtype=np.int64)
        builtin_doc = {e.key: doc for doc, e in enumerate(entries)}
        index = Bm25Index(docs, FIELD_WEIGHTS)
        phrasings = [
            [_Phrasing.of(index, words) for name, words in doc.items() if name.startswith(PHRASING) and words]
            for doc in docs
        ]
        words = [
            frozenset(t for name, tokens in doc.items() if FIELD_WEIGHTS.get(name, 0.0) > 0 for t in tokens)
            for doc in docs
        ]
        worth = {t: max(float(index.idf[tid]), 0.0) for t, tid in index.vocab.items()}
        return _Built(
            tuple(entries) + tuple(local),
            index,
            version,
            org_of,
            builtin_doc,
            phrasings,
            words,
            worth,
            max_idf(index),
        )

    def current(self, session: Session | None) -> _Built:
        """The index, rebuilt first when local entries changed since it was built.

        Edits in this process are seen at once (even uncommitted, by the session that made them);
        edits by another process (``zhibu kb add``) within ``RECHECK_SECONDS``: the version query
        runs at most that often, not on every question.
        """
        built = self._built
        if session is None:
            return built or self._rebuild_locked(session, None)
        edits, now = local_edits(), self._clock()
        if built is not None and edits == self._checked_edits and now - self._checked_at < RECHECK_SECONDS:
            return built
        version = local_version(session)
        self._checked_edits, self._checked_at = edits, now
        if built is not None and built.local_version == version:
            return built
        return self._rebuild_locked(session, version)

    def _rebuild_locked(self, session: Session | None, version: LocalVersion | None) -> _Built:
        with self._lock:
            if self._built is None or (session is not None and self._built.local_version != version):
                local = local_entries(session) if session is not None else []
                self._built = self._rebuild(local, version)
            return self._built

    def warm(self, session: Session | None = None) -> None:
        """Load dictionaries and the index now, so the first question is answered quickly."""
        self.segmenter.warm()
        self.current(session)

    # --- searching --------------------------------------------------------------
    def translate(self, text: str) -> str:
        """English words of the glossary in Chinese ("party fee" → 党费); other text unchanged."""
        return translate(text, self._glossary) if self._glossary is not None else text

    def correct(self, text: str) -> tuple[str, tuple[Correction, ...]]:
        """The question with pinyin typos of domain terms corrected, and the corrections."""
        return self.pinyin.correct(normalize(self.translate(text)))

    def search(
        self, question: str, *, session: Session | None = None, org_ids: Sequence[int] = (), k: int = 5
    ) -> SearchResult:
        """Rank entries visible to ``org_ids`` (nearest organization first) for a question."""
        tokens = self._question_tokens(question)
        built = self.current(session)
        hits = built.index.search(tokens, k, exclude=_hidden(built, org_ids))
        query, worth = set(tokens), built.worth
        total = sum(worth.get(t, built.unknown) for t in query) or 1.0
        found = []
        for hit in hits:
            words = built.words[hit.doc]
            matched = {t for t in query if t in words}
            coverage = sum(worth[t] for t in matched) / total
            fit = _fit(built.phrasings[hit.doc], query)
            found.append(Found(built.entries[hit.doc], hit.score, coverage, fit, bool(matched & self.terms)))
        return SearchResult(tokens, tuple(found))

    def _tokens_of(self, question: str) -> tuple[str, ...]:
        """A question's tokens; cached per string (``_question_tokens``): the same questions come often."""
        return tuple(self.analyzer.tokens(self.translate(question)))

    def entry(self, key: str, *, session: Session | None = None, org_ids: Sequence[int] = ()) -> Entry | None:
        """The entry ``key`` as the organizations see it (their own version first)."""
        built = self.current(session)
        hidden = _hidden(built, org_ids)
        for doc, entry in enumerate(built.entries):
            if entry.key == key and not hidden[doc]:
                return entry
        return None


def _hidden(built: _Built, org_ids: Sequence[int]) -> npt.NDArray[np.bool_]:
    """Entries the asker must not see: other branches' local entries, and anything overridden.

    Kept per lineage on the index it was computed for, so an edit (a new ``_Built``) starts afresh."""
    lineage = tuple(org_ids)
    hidden = built.hidden.get(lineage)
    if hidden is None:
        if len(built.hidden) >= HIDDEN_CACHE:
            built.hidden.clear()
        hidden = built.hidden[lineage] = _visibility(built, lineage)
    return hidden


def _visibility(built: _Built, org_ids: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    rank = {org: i for i, org in enumerate(org_ids)}  # 0 = the asker's own organization
    hidden = built.org_of >= 0
    best: dict[str, tuple[int, int]] = {}  # key → (rank, doc) of the nearest local version
    for doc in np.flatnonzero(hidden):
        org = int(built.org_of[doc])
        if org in rank:
            key = built.entries[doc].key
            if key not in best or rank[org] < best[key][0]:
                best[key] = (int(rank[org]), int(doc))
    for _rank, nearest in best.values():
        hidden[nearest] = False
    overridden = [built.builtin_doc[key] for key in best if key in built.builtin_doc]
    hidden[overridden] = True
    hidden.flags.writeable = False  # shared by every question from this lineage
    return hidden


@cache
def default_base() -> KnowledgeBase:
    """The process-wide knowledge base over the shipped data (a cache, not configuration)."""
    return KnowledgeBase()
