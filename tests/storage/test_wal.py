from __future__ import annotations

import asyncio

import pytest

from storage.db import make_engine
from storage.wal import SAFETY_NET_PAGES, WalCheckpointer


def test_server_connections_leave_checkpoints_to_the_service(db_url: str) -> None:
    engine = make_engine(db_url)
    if engine.dialect.name != "sqlite":
        pytest.skip("WAL checkpoints are SQLite's")
    checkpointer = WalCheckpointer(engine, interval=0.01)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == SAFETY_NET_PAGES
    checkpointer.checkpoint()

    async def run() -> None:
        await checkpointer.start()
        await checkpointer.stop()

    asyncio.run(run())
    engine.dispose()
