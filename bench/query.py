"""Benchmark: knowledge-base query latency at 1k, 10k and 100k synthetic entries, against rank_bm25.

For each size it builds our numpy BM25 index (storage/knowledge/index.py),
rank_bm25's BM25Okapi and, for the record, SQLite FTS5 (the other design considered)
over the same tokens in the same run, then prints p50/p99
query latency of both and the ratio, the index build time and memory, and the
top-10 overlap with rank_bm25 (with all field weights 1, where the two models are
the same, and with the production field weights, where they differ on purpose).
Last, it measures the cold start of a new process to its first answer
(``zhibu ask`` in a fresh directory, and the bare library path).

Targets: 10k p50 < 1 ms, p99 < 5 ms, >= 10x rank_bm25; 100k p50 < 10 ms,
>= 15x, memory < 150 MB; overlap >= 90 %; cold start < 1.5 s.

    .venv/bin/python bench/query.py [--sizes 1000,10000,100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.knowledge.base import FIELD_WEIGHTS  # noqa: E402
from storage.knowledge.index import Bm25Index  # noqa: E402

VOCAB = 20_000
FIELD_LENGTHS = {"question": (4, 9), "alternatives": (10, 30), "keywords": (1, 4), "answer": (20, 60)}


def zipf_words(rng: np.random.Generator, count: int) -> list[str]:
    ranks = np.minimum(rng.zipf(1.2, size=count), VOCAB)
    return [f"t{r}" for r in ranks]


def synthetic(size: int, seed: int = 7) -> list[dict[str, list[str]]]:
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(size):
        docs.append(
            {name: zipf_words(rng, int(rng.integers(lo, hi + 1))) for name, (lo, hi) in FIELD_LENGTHS.items()}
        )
    return docs


def queries(docs: list[dict[str, list[str]]], count: int, seed: int = 11) -> list[list[str]]:
    """Questions shaped like members' ones: a few words of some entry's phrasings plus a stray word."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        doc = rng.choice(docs)
        pool = doc["question"] + doc["alternatives"]
        words = rng.sample(pool, min(len(pool), rng.randint(2, 5)))
        out.append([*words, f"t{rng.randint(1, VOCAB)}"])
    return out


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def time_queries(search, qs: list[list[str]]) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for q in qs:
        start = time.perf_counter()
        search(q)
        times.append((time.perf_counter() - start) * 1000)
    return times


def reference_top10(ref: BM25Okapi, q: list[str]) -> list[int]:
    scores = ref.get_scores(q)
    top = np.argsort(-scores, kind="stable")[:10]
    return [int(d) for d in top if scores[d] > 0]


def overlap(ours: list[int], theirs: list[int]) -> float:
    if not theirs:
        return 1.0
    return len(set(ours) & set(theirs)) / len(theirs)


def build(docs: list[dict[str, list[str]]], weights: dict[str, float]) -> tuple[Bm25Index, float, int]:
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    index = Bm25Index(docs, weights)
    seconds = time.perf_counter() - start
    retained = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return index, seconds, retained


def fts5(docs: list[dict[str, list[str]]]) -> tuple[sqlite3.Connection, float]:
    """The alternative we measured against: SQLite FTS5 over the same pre-segmented fields, bm25() ranked."""
    start = time.perf_counter()
    conn = sqlite3.connect(":memory:")
    names = list(FIELD_LENGTHS)
    conn.execute(f"CREATE VIRTUAL TABLE docs USING fts5({', '.join(names)}, tokenize='unicode61')")
    conn.executemany(
        f"INSERT INTO docs(rowid, {', '.join(names)}) VALUES (?, {', '.join('?' * len(names))})",
        ((n, *(" ".join(doc[name]) for name in names)) for n, doc in enumerate(docs)),
    )
    conn.commit()
    return conn, time.perf_counter() - start


def fts5_search(conn: sqlite3.Connection, query: list[str]) -> list[int]:
    weights = ", ".join(str(FIELD_WEIGHTS[name]) for name in FIELD_LENGTHS)
    match = " OR ".join(f'"{t}"' for t in dict.fromkeys(query))
    sql = f"SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, {weights}) LIMIT 10"
    return [row[0] for row in conn.execute(sql, (match,))]


def run_size(size: int, n_queries: int) -> None:
    docs = synthetic(size)
    qs = queries(docs, n_queries)
    flat = [[t for name in FIELD_LENGTHS for t in doc[name]] for doc in docs]
    index, build_s, retained = build(docs, dict(FIELD_WEIGHTS))
    uniform, _, _ = build(docs, {name: 1.0 for name in FIELD_LENGTHS})
    start = time.perf_counter()
    ref = BM25Okapi(flat)
    ref_build = time.perf_counter() - start

    ours = time_queries(lambda q: index.search(q, 10), qs)
    ref_qs = qs[: max(20, min(n_queries, 2_000_000 // size))]  # rank_bm25 is slow; fewer queries at 100k
    theirs = time_queries(lambda q: ref.get_scores(q).argsort()[-10:], ref_qs)
    conn, fts_build = fts5(docs)
    sqlite = time_queries(lambda q: fts5_search(conn, q), ref_qs)
    same = [overlap([h.doc for h in uniform.search(q, 10)], reference_top10(ref, q)) for q in ref_qs]
    weighted = [overlap([h.doc for h in index.search(q, 10)], reference_top10(ref, q)) for q in ref_qs]

    p50, p99 = percentile(ours, 50), percentile(ours, 99)
    r50 = percentile(theirs, 50)
    print(f"\n== {size:,} entries, {len(qs)} queries (rank_bm25: {len(ref_qs)}) ==")
    print(
        f"ours      p50 {p50:8.3f} ms   p99 {percentile(ours, 99):8.3f} ms   build {build_s:6.2f} s   "
        f"memory {retained / 2**20:6.1f} MB (arrays {index.memory_bytes() / 2**20:.1f} MB)"
    )
    print(f"rank_bm25 p50 {r50:8.3f} ms   p99 {percentile(theirs, 99):8.3f} ms   build {ref_build:6.2f} s")
    print(
        f"fts5      p50 {percentile(sqlite, 50):8.3f} ms   p99 {percentile(sqlite, 99):8.3f} ms   "
        f"build {fts_build:6.2f} s   ({r50 / percentile(sqlite, 50):.1f}x rank_bm25)"
    )
    print(f"speed-up  p50 {r50 / p50:8.1f}x  p99 {percentile(theirs, 99) / p99:8.1f}x  (ours vs rank_bm25)")
    print(
        f"top-10 overlap with rank_bm25: same model {100 * statistics.mean(same):.1f} %, "
        f"with field weights {100 * statistics.mean(weighted):.1f} %"
    )


def timed_runs(
    command: list[str], work: str, env: dict[str, str], runs: int
) -> tuple[list[float], list[float]]:
    """Wall seconds and CPU seconds (user + system) of each run of ``command`` in a new process."""
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, cwd=work, env=env, check=True, capture_output=True)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall, cpu


def cold_start(runs: int = 5) -> None:
    """A new process to its first answer: `zhibu ask` (CLI, database, router) and the library alone.

    CPU time is printed beside wall time: on a busy machine wall time mostly measures the wait for a core.
    """
    zhibu = Path(sys.executable).with_name("zhibu")
    question = "支委会多久开一次"
    code = (
        "from storage.knowledge.base import default_base; "
        f"print(default_base().search({question!r}).hits[0].entry.key)"
    )
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, ZHIBU_DATA_DIR=work, ZHIBU_DATABASE_URL=f"sqlite:///{work}/zhibu.db")
        env.pop("ZHIBU_CONFIG", None)
        subprocess.run([str(zhibu), "db", "upgrade"], cwd=work, env=env, check=True, capture_output=True)
        timed_runs([str(zhibu), "ask", question], work, env, 1)  # the caches on disk exist after this
        rows = {
            f'zhibu ask "{question}"': timed_runs([str(zhibu), "ask", question], work, env, runs),
            "library only (imports, dictionaries, index, search)": timed_runs(
                [sys.executable, "-c", code], work, env, runs
            ),
            "baseline: python -c pass": timed_runs([sys.executable, "-c", "pass"], work, env, runs),
        }
    print("\n== cold start to the first answer (caches on disk, a new process each run) ==")
    for label, (wall, cpu) in rows.items():
        print(
            f"{label}: wall median {statistics.median(wall):.2f} s (min {min(wall):.2f} s), "
            f"CPU median {statistics.median(cpu):.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--no-cold-start", action="store_true")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        run_size(size, args.queries)
    if not args.no_cold_start:
        cold_start()


if __name__ == "__main__":
    main()
