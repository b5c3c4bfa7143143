"""The roster importer fed junk: every outcome is an import or a clear error, never a crash."""

from __future__ import annotations

import math
import os
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Engine
from sqlmodel import Session

from bot.core.errors import ZhibuError
from storage.models import Organization, OrgKind
from storage.roster.importer import RosterInvalid, import_roster
from tests.fakes.clock import FakeClock
from tests.roster_files import HEADER, SAMPLE, write_csv, write_xlsx

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=bool(os.environ.get("CI")),  # CI replays fixed examples; local runs explore new ones
)

junk_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "=cmd|'/c calc'!A1",
            "1995-02-30",
            "19950701",
            "0",
            "-1",
            "99999",
            "1e309",
            "NaN",
            "男女",
            "书记;DROP TABLE member",
        ]
    ),
    st.text(alphabet="0123456789-/.年月日 ", max_size=14),
    st.just("党" * 5000),
)
junk_cell = st.one_of(
    st.none(),
    junk_text,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=date(1, 1, 1)),
    st.datetimes(min_value=datetime(1900, 1, 1)),
)
junk_rows = st.lists(st.lists(junk_cell, min_size=0, max_size=len(HEADER) + 3), min_size=0, max_size=6)


@st.composite
def nearly_valid_rows(draw: st.DrawFn) -> list[list[object]]:
    """Sample rows with a few cells swapped for junk, so every column's parser meets it."""
    rows = [list(row) for row in SAMPLE]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        row = draw(st.sampled_from(rows))
        row[draw(st.integers(min_value=0, max_value=len(HEADER) - 1))] = draw(junk_cell)
    return rows


def _ensure_top(engine: Engine) -> None:
    """The organization rosters import below (kept across hypothesis examples)."""
    with Session(engine) as session:
        if session.get(Organization, 1) is None:
            session.add(Organization(name="幸福街道党工委", kind=OrgKind.WORKING_COMMITTEE))
            session.commit()


def _attempt(engine: Engine, path: Path, clock: FakeClock) -> None:
    """Import in a transaction that is always rolled back; only our own clear errors may escape."""
    with Session(engine) as session:
        try:
            import_roster(session, path=path, now=clock.now())
        except RosterInvalid as exc:
            assert exc.errors, "an invalid roster names at least one error"
            assert all(err.row >= 1 and err.column and err.reason for err in exc.errors)
        except ZhibuError as exc:
            assert str(exc)
        finally:
            session.rollback()


def _for_csv(cell: object) -> object:
    return "" if isinstance(cell, float) and math.isnan(cell) else cell


def _for_xlsx(cell: object) -> object:
    if isinstance(cell, str):
        return ILLEGAL_CHARACTERS_RE.sub("", cell)  # Excel itself cannot store control characters
    if isinstance(cell, float) and not math.isfinite(cell):
        return str(cell)
    if isinstance(cell, int) and abs(cell) > 2**53:
        return str(cell)
    return cell


@FUZZ
@given(
    rows=st.one_of(junk_rows, nearly_valid_rows()),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_junk_csv_cells_give_clear_errors(
    engine: Engine, clock: FakeClock, tmp_path: Path, rows, encoding
) -> None:  # type: ignore[no-untyped-def]
    _ensure_top(engine)
    path = tmp_path / "junk.csv"
    write_csv(path, [[_for_csv(c) for c in row] for row in rows], encoding=encoding)
    _attempt(engine, path, clock)


@FUZZ
@given(rows=st.one_of(junk_rows, nearly_valid_rows()))
def test_junk_xlsx_cells_give_clear_errors(engine: Engine, clock: FakeClock, tmp_path: Path, rows) -> None:  # type: ignore[no-untyped-def]
    _ensure_top(engine)
    path = tmp_path / "junk.xlsx"
    write_xlsx(path, [[_for_xlsx(c) for c in row] for row in rows])
    _attempt(engine, path, clock)


@FUZZ
@given(blob=st.binary(max_size=4096), suffix=st.sampled_from([".csv", ".xlsx", ".txt", ".xls", ".pdf"]))
def test_random_bytes_are_refused_clearly(
    engine: Engine, clock: FakeClock, tmp_path: Path, blob: bytes, suffix: str
) -> None:
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(blob)
    _attempt(engine, path, clock)


@FUZZ
@given(header=st.lists(junk_text, max_size=12), rows=junk_rows)
def test_junk_headers_give_clear_errors(
    engine: Engine, clock: FakeClock, tmp_path: Path, header, rows
) -> None:  # type: ignore[no-untyped-def]
    _ensure_top(engine)
    path = tmp_path / "header.csv"
    write_csv(path, [[_for_csv(c) for c in row] for row in rows], header=header)
    _attempt(engine, path, clock)


def test_an_overlong_branch_name_is_a_cell_error_not_a_database_error(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    """Found by the fuzzer: PostgreSQL enforces column widths that SQLite ignores."""
    _ensure_top(engine)
    rows = [list(row) for row in SAMPLE]
    rows[0][5] = "党" * 101
    with Session(engine) as session, pytest.raises(RosterInvalid) as caught:
        import_roster(session, path=write_csv(tmp_path / "long.csv", rows), now=clock.now())
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, "所在党支部")]
    assert "最多100个字" in caught.value.errors[0].reason


@pytest.mark.parametrize("blob", [b"\r\x00", "姓名,入党日期\n".encode() + b"x" * 200_000 + b",2001-07-01\n"])
def test_malformed_csv_is_unreadable_not_a_crash(
    engine: Engine, clock: FakeClock, tmp_path: Path, blob: bytes
) -> None:
    """Found by the fuzzer: a lone carriage return, and a cell over the csv module's size limit."""
    path = tmp_path / "bad.csv"
    path.write_bytes(blob)
    with Session(engine) as session, pytest.raises(ZhibuError):
        import_roster(session, path=path, now=clock.now())
