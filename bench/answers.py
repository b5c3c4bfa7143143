"""Score the answers: the public question set, the independent set and the off-topic set, with the misses.

Each set is asked in the branch tests/knowledge/question_sets.py builds, in a fresh SQLite database, on
2026-11-23 09:30 Asia/Shanghai. A question is right when the bot answers it (an entry or a live answer)
with every fact the set names; an off-topic question is right when it is not answered confidently.

    .venv/bin/python bench/answers.py [--misses]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.clock import SHANGHAI  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402
from tests.knowledge.question_sets import (  # noqa: E402
    ask_all,
    build_branch,
    independent_set,
    offtopic_set,
    public_set,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every wrong answer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        engine = make_engine(f"sqlite:///{work}/zhibu.db")
        upgrade(engine)
        build_branch(engine)
        clock = FakeClock(datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI))
        for name, questions in (
            ("public", public_set()),
            ("independent", independent_set()),
            ("off-topic", offtopic_set()),
        ):
            outcomes = ask_all(engine, clock, questions)
            wrong = [(q, o) for q, o in zip(questions, outcomes, strict=True) if not q.right(o)]
            confident = sum(o.kind in ("answer", "live") for _, o in wrong)
            right = len(questions) - len(wrong)
            print(
                f"{name:12s} {right}/{len(questions)} right ({100 * right / len(questions):.1f} %), "
                f"{confident} answered confidently but wrong"
            )
            if args.misses:
                for q, o in wrong:
                    print(f"   [{q.asker}] {q.text} → {o.kind} {o.entry}: {o.text[:70]!r}")
        engine.dispose()


if __name__ == "__main__":
    main()
