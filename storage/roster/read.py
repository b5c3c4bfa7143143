"""Reading a roster file into a header and numbered rows, whatever program wrote it.

Excel in China saves CSV as GBK; newer tools write UTF-8, with or without a BOM.
Rows keep the number Excel shows, so every error can point at the right line.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from openpyxl import load_workbook
from openpyxl.cell.read_only import EmptyCell, ReadOnlyCell
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from bot.core.errors import ZhibuError
from storage.roster.cells import Cell, Formula, text_of
from storage.xlsx_limits import MAX_FILE_BYTES, WorkbookRefused, check_archive

HEADER_SEARCH_ROWS = 10  # a title line such as "某某党支部党员名册" may sit above the header
# A district's whole roster is some tens of thousands of rows and a few dozen columns; past these the file
# is a mistake or an attack. Rows count as Excel numbers them (title and header included); a sheet that
# declares more rows is refused before any row is read, one that hides them when the count passes the
# limit. Columns past MAX_COLUMNS are not read: a cell at column XFD would otherwise make every row
# 16,384 cells wide (a 500 KB file cost a minute of CPU).
MAX_ROWS = 50_000
MAX_COLUMNS = 200


class RosterUnreadable(ZhibuError):
    """The file cannot be read as a roster at all (wrong type, no header, bad encoding)."""


@dataclass(slots=True)
class Sheet:
    """A header row and an iterator over the rows below it, numbered as Excel numbers them."""

    header: list[str]
    header_row: int
    rows: Iterator[tuple[int, tuple[Cell, ...]]]
    total: int  # an estimate of the data rows, for the progress bar


def open_sheet(path: Path) -> Sheet:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise RosterUnreadable(f"找不到文件 / no such file: {path}")
    if suffix in {".xlsx", ".xlsm"}:
        return _xlsx_sheet(path)
    if suffix in {".csv", ".txt"}:
        return _csv_sheet(path)
    if suffix == ".xls":
        raise RosterUnreadable(
            "不支持旧版 .xls，请在 Excel 中另存为 .xlsx 或 .csv / save the .xls file as .xlsx or .csv"
        )
    raise RosterUnreadable(f"只支持 .xlsx 和 .csv 文件 / only .xlsx and .csv are supported: {path.name}")


def _xlsx_sheet(path: Path) -> Sheet:
    data = _limited_bytes(path)
    try:
        check_archive(data, path.name)
        # from memory, so a sheet that fails half-way leaves no file handle open behind it; formulas are
        # kept (not their cached results) so that a formula cell can be reported rather than guessed
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except WorkbookRefused as exc:
        raise RosterUnreadable(str(exc)) from exc
    except Exception as exc:  # openpyxl raises zipfile, KeyError and XML errors for damaged files
        raise _damaged(path, exc) from exc
    sheet = book.active
    if sheet is None:
        raise RosterUnreadable(f"Excel 文件里没有工作表 / no worksheet in {path.name}")
    if (sheet.max_row or 0) > MAX_ROWS:
        book.close()
        raise _too_many_rows(path)
    try:
        header_row, header = _find_header(_xlsx_rows(sheet, path, max_row=HEADER_SEARCH_ROWS), path)
    except RosterUnreadable:
        book.close()
        raise
    named = max((i + 1 for i, text in enumerate(header) if text), default=1)
    numbered = _xlsx_rows(sheet, path, min_row=header_row + 1, width=named)
    total = max((sheet.max_row or 0) - header_row, 0)
    return Sheet(header[:named], header_row, _closing(_non_empty(numbered), book), total)


def _xlsx_rows(
    sheet: ReadOnlyWorksheet,
    path: Path,
    *,
    min_row: int = 1,
    max_row: int | None = None,
    width: int = MAX_COLUMNS,
) -> Iterator[tuple[int, tuple[Cell, ...]]]:
    """Rows numbered as Excel numbers them, cut at ``width`` columns (data rows: the header's width)."""
    width = min(sheet.max_column or width, width)
    # a read-only sheet's iter_rows is not in openpyxl's stubs
    rows = cast(Any, sheet).iter_rows(min_row=min_row, max_row=max_row, max_col=width)
    return _guarded(enumerate(map(_values, rows), start=min_row), path)


def _values(row: Iterable[ReadOnlyCell | EmptyCell]) -> tuple[Cell, ...]:
    """A row's values; a formula cell becomes its ``Formula`` text, never a result Excel cached."""
    return tuple(
        Formula(str(cell.value)) if cell.data_type == "f" else cast(Cell, cell.value) for cell in row
    )


def _limited_bytes(path: Path) -> bytes:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise RosterUnreadable(f"{path.name} 超过 {MAX_FILE_BYTES // 2**20} MB / file too large, refused")
    return path.read_bytes()


def _too_many_rows(path: Path) -> RosterUnreadable:
    return RosterUnreadable(
        f"{path.name} 超过 {MAX_ROWS} 行，请分成几个文件导入 / more than {MAX_ROWS} rows, refused"
    )


def _damaged(path: Path, exc: Exception) -> RosterUnreadable:
    reason = type(exc).__name__
    return RosterUnreadable(f"{path.name} 不是有效的 Excel 文件 / not a valid .xlsx file: {reason}")


def _guarded(
    rows: Iterator[tuple[int, tuple[Cell, ...]]], path: Path
) -> Iterator[tuple[int, tuple[Cell, ...]]]:
    """Rows are parsed lazily, so a damaged or hostile sheet (entities, bad XML) fails here, not on open."""
    try:
        for number, values in rows:
            if number > MAX_ROWS:
                raise _too_many_rows(path)
            yield number, values
    except RosterUnreadable:
        raise
    except Exception as exc:
        raise _damaged(path, exc) from exc


def _closing(
    rows: Iterator[tuple[int, tuple[Cell, ...]]], book: object
) -> Iterator[tuple[int, tuple[Cell, ...]]]:
    """Close a read-only workbook (it holds the file open) once its rows are consumed."""
    try:
        yield from rows
    finally:
        book.close()  # type: ignore[attr-defined]


def _csv_sheet(path: Path) -> Sheet:
    text = decode(_limited_bytes(path), path.name)
    lines = text.splitlines()
    dialect = _dialect(lines[0] if lines else "")
    numbered = _guarded(enumerate(_csv_records(text, dialect, path.name), start=1), path)
    header_row, header = _find_header(numbered, path)
    return Sheet(header, header_row, _non_empty(numbered), max(len(lines) - header_row, 0))


def decode(raw: bytes, name: str) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030: the superset of GBK that Excel in China writes."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise RosterUnreadable(
            f"无法识别 {name} 的文字编码，请另存为“CSV UTF-8” / unknown text encoding, save as UTF-8 CSV"
        ) from exc


def _csv_records(text: str, dialect: type[csv.Dialect], name: str) -> Iterator[tuple[Cell, ...]]:
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for record in reader:
            yield tuple(record[:MAX_COLUMNS])
    except csv.Error as exc:
        line = reader.line_num
        reason = f"{name} 第{line}行不是正常的 CSV 格式 / malformed CSV at line {line}: {exc}"
        raise RosterUnreadable(reason) from exc


def _dialect(first_line: str) -> type[csv.Dialect]:
    return csv.excel_tab if first_line.count("\t") > first_line.count(",") else csv.excel


def _find_header(numbered: Iterator[tuple[int, tuple[Cell, ...]]], path: Path) -> tuple[int, list[str]]:
    """The first row that names a 姓名 column, within the first few rows."""
    for number, values in numbered:
        cells = [text_of(v) for v in values]
        if any(c.replace(" ", "").lstrip("*") in {"姓名", "党员姓名"} for c in cells):
            return number, cells
        if number >= HEADER_SEARCH_ROWS:
            break
    raise RosterUnreadable(
        f"{path.name} 的前{HEADER_SEARCH_ROWS}行里没有找到表头（需要有“姓名”列）"
        " / no header row with 姓名 found"
    )


def _non_empty(numbered: Iterator[tuple[int, tuple[Cell, ...]]]) -> Iterator[tuple[int, tuple[Cell, ...]]]:
    for number, values in numbered:
        if any(v is not None and text_of(v) for v in values):
            yield number, tuple(values)
