from __future__ import annotations

import zipfile
from pathlib import Path
from typing import BinaryIO

import pytest

from storage.roster.read import MAX_COLUMNS, MAX_ROWS, RosterUnreadable, open_sheet
from tests.roster_files import SAMPLE, with_part, write_xlsx


def test_unicode_text_exported_by_excel_is_tab_separated_utf16(tmp_path: Path) -> None:
    path = tmp_path / "名册.txt"
    path.write_bytes("姓名\t入党日期\r\n张三\t2001-07-01\r\n\t\r\n李四\t2002-07-01\r\n".encode("utf-16"))
    sheet = open_sheet(path)
    assert sheet.header == ["姓名", "入党日期"]
    assert list(sheet.rows) == [(2, ("张三", "2001-07-01")), (4, ("李四", "2002-07-01"))]  # row 3 is blank


def test_a_file_without_a_name_column_says_what_it_looked_for(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("编号,日期\n1,2001-07-01\n", encoding="utf-8")
    with pytest.raises(RosterUnreadable, match="姓名"):
        open_sheet(path)


def test_bytes_that_are_no_known_encoding_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("姓名,入党日期\n".encode() + b"\x81\x30\xff\xfe\x00\x81")
    with pytest.raises(RosterUnreadable, match="编码"):
        open_sheet(path)


def test_a_damaged_workbook_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(RosterUnreadable, match=r"x\.xlsx"):
        open_sheet(path)


def test_a_part_packed_far_tighter_than_any_table_is_refused_unread(tmp_path: Path) -> None:
    def strings(part: BinaryIO) -> None:
        # a shared-string table that openpyxl would hold whole in memory: 20 MB packed to about 60 KB,
        # under the size limit, far over the ratio (a 440 KB one of 180 MB took 1.7 GB to open)
        for _ in range(20):
            part.write(b"<si><t>ab</t></si>" * (2**20 // 17))

    path = with_part(write_xlsx(tmp_path / "名册.xlsx", SAMPLE), "xl/sharedStrings.xml", strings)
    with pytest.raises(RosterUnreadable, match="压缩炸弹"):
        open_sheet(path)


def test_a_sheet_that_declares_too_many_rows_is_refused_before_any_is_read(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "名册.xlsx", SAMPLE)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    declared = sheet.replace(b"<sheetData>", f'<dimension ref="A1:I{MAX_ROWS + 1}"/><sheetData>'.encode(), 1)
    with pytest.raises(RosterUnreadable, match=f"超过 {MAX_ROWS} 行"):
        open_sheet(with_part(path, "xl/worksheets/sheet1.xml", declared))


def test_a_cell_far_to_the_right_does_not_widen_every_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "名册.xlsx", SAMPLE)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    for row in (1, 2):  # the header and the first member
        far = f'<c r="XFD{row}" t="n"><v>1</v></c></row><row r="{row + 1}"'.encode()
        sheet = sheet.replace(f'</row><row r="{row + 1}"'.encode(), far, 1)
    assert b"XFD2" in sheet
    read = open_sheet(with_part(path, "xl/worksheets/sheet1.xml", sheet))
    rows = list(read.rows)
    assert len(read.header) <= MAX_COLUMNS and read.header[0] == "姓名"
    assert len(rows) == len(SAMPLE) and all(len(values) <= MAX_COLUMNS for _, values in rows)
