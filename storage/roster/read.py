"""Reading a roster file into a header and numbered rows, whatever program wrote it.

Excel in China saves CSV as GBK; newer tools write UTF-8, with or without a BOM.
Rows keep the number Excel shows, so every error can point at the right line.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

from bot.core.errors import ZhibuError
from storage.roster.cells import Cell, text_of

HEADER_SEARCH_ROWS = 10  # a title line such as "某某党支部党员名册" may sit above the header
# A district's whole roster is tens of thousands of rows and a few MB unpacked; far past these, the file
# is a mistake or a zip bomb, refused before it can fill the memory.
MAX_ROWS = 100_000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024


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
    _check_unpacked_size(path)
    try:
        # from memory, so a sheet that fails half-way leaves no file handle open behind it
        book = load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and XML errors for damaged files
        raise _damaged(path, exc) from exc
    sheet = book.active
    if sheet is None:
        raise RosterUnreadable(f"Excel 文件里没有工作表 / no worksheet in {path.name}")
    numbered = _guarded(enumerate(sheet.iter_rows(values_only=True), start=1), path)
    try:
        header_row, header = _find_header(numbered, path)
    except RosterUnreadable:
        book.close()
        raise
    total = max((sheet.max_row or 0) - header_row, 0)
    return Sheet(header, header_row, _closing(_non_empty(numbered), book), total)


def _check_unpacked_size(path: Path) -> None:
    """Read the zip's directory only: a 1.5 MB file may unpack to gigabytes."""
    if path.stat().st_size > MAX_UNPACKED_BYTES:
        raise RosterUnreadable(f"{path.name} 超过 {MAX_UNPACKED_BYTES // 2**20} MB / file too large, refused")
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise _damaged(path, exc) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise RosterUnreadable(
            f"{path.name} 解压后超过 {MAX_UNPACKED_BYTES // 2**20} MB，不像名册 / unpacks to more than "
            f"{MAX_UNPACKED_BYTES // 2**20} MB, refused"
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
                raise RosterUnreadable(f"{path.name} 超过 {MAX_ROWS} 行 / more than {MAX_ROWS} rows, refused")
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
    if path.stat().st_size > MAX_UNPACKED_BYTES:
        raise RosterUnreadable(f"{path.name} 超过 {MAX_UNPACKED_BYTES // 2**20} MB / file too large, refused")
    text = decode(path.read_bytes(), path.name)
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


def _csv_records(text: str, dialect: type[csv.Dialect], name: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        yield from reader
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
