"""Benchmark: import a generated 20,000-row roster (.xlsx) into a fresh SQLite database.

Prints wall time and peak memory for the full import (and for a second, idempotent
import of the same file) beside a baseline measured in the same run: only reading
the workbook with openpyxl in read-only mode. Each phase runs in its own process so
that its peak RSS (ru_maxrss) is its own; Python heap peaks come from a second,
tracemalloc-instrumented run of the phase. Targets: under 10 s and under 300 MB.

    .venv/bin/python bench/import_roster.py [--rows 20000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook, load_workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.rules import probation_end  # noqa: E402

HEADER = ("姓名", "性别", "出生日期", "入党日期", "转正日期", "所在党支部", "党小组", "职务", "手机号码")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红梅玉兰文斌海燕晓东"


def generate(path: Path, rows: int, *, role: str = "党员") -> None:
    """A plausible roster: 100 branches of 2 groups, mixed date cell types, unique fake phones.

    Written in openpyxl's normal mode so that, like a file saved by Excel or WPS, it records its dimensions.
    """
    rng = random.Random(20261123)
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADER))
    for i in range(rows):
        joined = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 23000))
        full = probation_end(joined)
        probationary = full > date(2026, 1, 1)
        branch = f"第{i % 100 + 1}党支部"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        joined_cell: object = joined if i % 2 else f"{joined.year}年{joined.month}月{joined.day}日"
        sheet.append(
            [
                name,
                rng.choice("男女"),
                date(joined.year - 25, 6, 1),
                joined_cell,
                None if probationary else full.isoformat(),
                branch,
                f"第{i % 2 + 1}党小组",
                "书记" if i < 100 else role,
                f"139{i:08d}",
            ]
        )
    book.save(path)


def phase_read(path: Path, _db: Path) -> dict[str, object]:
    book = load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    book.close()
    return {"rows": count}


def phase_import(path: Path, db: Path) -> dict[str, object]:
    from bot.core.clock import SHANGHAI
    from storage.db import make_engine, session_scope
    from storage.roster.importer import import_roster

    engine = make_engine(f"sqlite:///{db}")
    with session_scope(engine) as session:
        summary = import_roster(session, path=path, now=datetime.now(SHANGHAI), org_ref="基准测试党委")
    return {"added": summary.added, "updated": summary.updated, "unchanged": summary.unchanged}


PHASES = {"read": phase_read, "import": phase_import}


def run_phase(name: str, path: Path, db: Path, trace: bool) -> dict[str, object]:
    """Run in a child process: print one JSON line with seconds, peak RSS and (traced) heap peak."""
    if name == "import":  # load the code before the clock starts, as the CLI would have
        import bot.core.clock  # noqa: F401
        import storage.db
        import storage.roster.importer  # noqa: F401
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    result = PHASES[name](path, db)
    result["seconds"] = time.perf_counter() - started
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if trace:
        result["heap_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    return result


def child(name: str, path: Path, db: Path, trace: bool = False) -> dict[str, object]:
    args = [sys.executable, __file__, "--phase", name, "--file", str(path), "--db", str(db)]
    out = subprocess.run([*args, *(["--trace"] if trace else [])], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def fresh_db(directory: Path, label: str) -> Path:
    from storage.db import make_engine, upgrade

    db = directory / f"{label}.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    engine.dispose()
    return db


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--phase", choices=sorted(PHASES))
    parser.add_argument("--file", type=Path)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.phase, args.file, args.db, args.trace)))
        return
    report(args.rows)


def report(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        path, changed = directory / "roster.xlsx", directory / "changed.xlsx"
        started = time.perf_counter()
        generate(path, rows)
        generate(changed, rows, role="委员")
        size = path.stat().st_size / 2**20
        print(f"generated 2 x {rows} rows ({size:.1f} MB xlsx each) in {time.perf_counter() - started:.1f} s")
        base = child("read", path, directory / "none.db")
        base["heap_mb"] = child("read", path, directory / "none.db", trace=True)["heap_mb"]
        db = fresh_db(directory, "timed")
        runs = [
            ("baseline: openpyxl read-only read", base),
            ("import into empty database", child("import", path, db)),
            ("re-import, nothing changed", child("import", path, db)),
            ("re-import, every role changed", child("import", changed, db)),
        ]
        runs[1][1]["heap_mb"] = child("import", path, fresh_db(directory, "traced"), trace=True)["heap_mb"]
        print_table(runs)


def print_table(runs: list[tuple[str, dict[str, object]]]) -> None:
    print(f"{'phase':<34}{'seconds':>9}{'peak RSS MB':>13}{'heap MB':>9}  result")
    for label, run in runs:
        result = (
            f"{run['rows']} rows"
            if "rows" in run
            else f"+{run['added']} ~{run['updated']} ={run['unchanged']}"
        )
        heap = f"{run['heap_mb']:>9.0f}" if "heap_mb" in run else f"{'-':>9}"
        print(f"{label:<34}{run['seconds']:>9.2f}{run['rss_mb']:>13.0f}{heap}  {result}")
    imports = [run for _, run in runs[1:]]
    ok = all(float(r["seconds"]) < 10 and float(r["rss_mb"]) < 300 for r in imports)  # type: ignore[arg-type]
    print("result: +added ~updated =unchanged; heap = Python allocations (tracemalloc, separate run)")
    print(f"targets (every import < 10 s and < 300 MB): {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
