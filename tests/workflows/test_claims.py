"""A binding code stays single-use when two processes redeem it at the same moment.

Process A holds a stale view of the code (read before B acted, as a process that
read a moment earlier would); B redeems and commits; then A tries.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.core.clock import SHANGHAI
from storage import bindcodes
from storage.bindcodes import CodeProblem, CodeRejected, Purpose
from storage.db import session_scope
from storage.models import BindCode

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)


def test_a_code_redeemed_elsewhere_meanwhile_is_refused(engine: Engine, district: dict[str, int]) -> None:
    with session_scope(engine) as session:
        code, _ = bindcodes.issue(session, purpose=Purpose.MEMBER, now=NOW, member_id=district["张三"])
    with Session(engine, expire_on_commit=False) as process_a:
        seen = process_a.exec(select(BindCode)).one()  # A has seen the unused code (and keeps it)
        process_a.commit()
        with session_scope(engine) as process_b:
            bindcodes.redeem(process_b, code=code, purpose=Purpose.MEMBER, now=NOW)
        assert seen.used_at is None  # A's view is now stale, as in a real race
        with pytest.raises(CodeRejected) as refused:
            bindcodes.redeem(process_a, code=code, purpose=Purpose.MEMBER, now=NOW + timedelta(seconds=1))
        assert refused.value.problem is CodeProblem.USED
