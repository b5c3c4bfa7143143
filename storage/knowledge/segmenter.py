"""The one jieba tokenizer zhibu uses: private, with the party-building dictionary loaded.

Never jieba's module-global tokenizer (``jieba.dt``): other code in the process
must not change how we cut, and we must not change how it cuts.

Start-up cost is the main dictionary. Loading jieba's full 350,000-word
dictionary takes about 0.6 s even from its cache, so by default we load the most
frequent ``MAIN_WORDS`` words of it (written once into the cache directory,
then cached by jieba there too) plus our own dictionary. The knowledge base and
the questions are cut by the same tokenizer, so they still meet on the same tokens.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from storage.knowledge.normalize import DictWord

logger = logging.getLogger(__name__)

MAIN_WORDS = 60_000


def default_cache_dir() -> Path:
    """$ZHIBU_CACHE_DIR, else $XDG_CACHE_HOME/zhibu or ~/.cache/zhibu; a temp dir if none is writable."""
    configured = os.environ.get("ZHIBU_CACHE_DIR")
    base = (
        Path(configured)
        if configured
        else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "zhibu"
    )
    try:
        base.mkdir(parents=True, exist_ok=True)
        return base
    except OSError:
        fallback = Path(tempfile.gettempdir()) / f"zhibu-cache-{os.getuid()}"
        fallback.mkdir(mode=0o700, exist_ok=True)
        if fallback.stat().st_uid != os.getuid():  # someone else made it: do not trust its files
            return Path(tempfile.mkdtemp(prefix="zhibu-cache-"))
        return fallback


def _jieba() -> Any:
    """jieba, imported with pkg_resources hidden so that it opens its data files directly.

    pkg_resources is deprecated and takes 70 ms or more to import; jieba falls back to plain
    ``open`` when the import fails, which is all it needs the module for.
    """
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        return importlib.import_module("jieba")
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        return importlib.import_module("jieba")
    finally:
        del sys.modules["pkg_resources"]


def _main_dictionary(cache_dir: Path, size: int | None) -> Path:
    """jieba's own dictionary, or its ``size`` most frequent words written once into the cache."""
    full = Path(_jieba().__file__).parent / "dict.txt"
    if size is None:
        return full
    target = cache_dir / f"jieba-main-{size}.txt"
    if not target.exists():
        lines = full.read_text(encoding="utf-8").splitlines()
        ranked = sorted(lines, key=lambda line: -int(line.split(" ")[1]))[:size]
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text("\n".join(ranked) + "\n", encoding="utf-8")
        tmp.replace(target)
    return target


class Segmenter:
    """Cuts normalized text into words; thread-safe, initialised on first use (or by ``warm``)."""

    def __init__(
        self,
        words: Iterable[DictWord] = (),
        *,
        cache_dir: Path | None = None,
        main_words: int | None = MAIN_WORDS,
    ) -> None:
        self._words = list(words)
        self._cache_dir = cache_dir or default_cache_dir()
        self._main_words = main_words
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _build(self) -> Any:
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        tokenizer = _jieba().Tokenizer(dictionary=str(_main_dictionary(self._cache_dir, self._main_words)))
        tokenizer.tmp_dir = str(self._cache_dir)
        tokenizer.cache_file = f"jieba-{self._dictionary_hash()}.cache"
        quiet = logging.getLogger("jieba")
        level, quiet.level = quiet.level, logging.WARNING
        try:
            tokenizer.initialize()
        finally:
            quiet.setLevel(level)
        for w in self._words:
            tokenizer.add_word(w.word, w.freq, w.tag)
        return tokenizer

    def _dictionary_hash(self) -> str:
        return hashlib.sha1(f"{self._main_words}".encode()).hexdigest()[:12]

    def warm(self) -> None:
        """Load the dictionaries now rather than on the first question."""
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = self._build()

    def knows(self, word: str) -> bool:
        """A word of the dictionaries (jieba's frequent words and ours), not just a prefix of one."""
        self.warm()
        return bool(self._tokenizer.FREQ.get(word))

    def cut(self, text: str) -> list[str]:
        """Precise mode without HMM guessing: unknown runs fall apart into known words or characters."""
        self.warm()
        return [t for t in self._tokenizer.cut(text, HMM=False) if t.strip()]
