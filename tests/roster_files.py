"""Writing roster files the way Excel and member systems do, for import tests and the benchmark."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook

HEADER = ("姓名", "性别", "出生日期", "入党日期", "转正日期", "所在党支部", "党小组", "职务", "手机号码")

Row = Sequence[object]

# fmt: off
SAMPLE: list[Row] = [
    ("张建华", "男", "1968-03-02", "1995-07-01", "1996-07-01", "第一党支部", "第一党小组", "书记", "139 0000 0001"),  # noqa: E501
    ("李秀英", "女", "1985/5/6", "2008年6月20日", "2009.06.22", "第一党支部", "第二党小组", "组织委员", "+86 139-0000-0002"),  # noqa: E501
    ("王小明", "男", "", "20260310", "", "第二党支部", "", "", ""),
]
# fmt: on


def write_csv(path: Path, rows: Iterable[Row], *, header: Row = HEADER, encoding: str = "utf-8") -> Path:
    """``encoding`` as Python names it: "utf-8-sig" adds Excel's BOM, "gbk" is Excel's 中文 default."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: Iterable[Row], *, header: Row = HEADER, title: str | None = None) -> Path:
    """Cells keep their Python types: a ``date`` becomes a real date cell, an int a number."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("名册")
    if title:
        sheet.append([title])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def with_part(path: Path, name: str, data: bytes | Callable[[BinaryIO], None]) -> Path:
    """Add (or replace) one part of a workbook, packed as Excel packs it; ``data`` may write it in pieces."""
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist() if n != name}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for n, d in parts.items():
            archive.writestr(n, d)
        with archive.open(name, "w") as part:
            part.write(data) if isinstance(data, bytes) else data(part)
    return path
