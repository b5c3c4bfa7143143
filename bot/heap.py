"""Keep the garbage collector's full passes short in a process that answers callbacks.

CPython's oldest-generation collection walks every tracked object. After start-up most of them
are there for good: jieba's dictionaries, the knowledge index, SQLAlchemy's tables and compiled
statements, the modules. Walking them on every full pass stalled whichever request was running
for tens of milliseconds (bench/README.md). Frozen once warm, they are never walked again, and a
full pass costs only what the requests in flight hold.
"""

from __future__ import annotations

import gc


def freeze_warm_heap() -> None:
    """Collect the start-up garbage, then move everything alive into the permanent generation.

    Call once the process has loaded what it keeps (the knowledge base warmed, services started);
    objects made later are collected as usual.
    """
    gc.collect()
    gc.freeze()
