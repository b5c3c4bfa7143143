"""The database drops away and comes back: the engine reconnects by itself (PostgreSQL over TCP)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from storage.db import make_engine
from tests.fakes.tcp_proxy import tcp_proxy


def test_queries_fail_fast_while_the_database_is_unreachable_and_work_again_after(
    engine: Engine, db_url: str
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("needs a database server reached over TCP (ZHIBU_TEST_PG_URL)")
    url = make_url(db_url)
    with tcp_proxy(url.port or 5432) as proxy:
        through = make_engine(
            url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        )
        with through.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        proxy.cut()
        for _ in range(3):
            with pytest.raises(OperationalError), through.connect() as conn:
                conn.execute(text("SELECT 1"))
        assert proxy.refused >= 3
        proxy.restore()
        with through.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        through.dispose()
