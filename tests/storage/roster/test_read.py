from __future__ import annotations

from pathlib import Path

import pytest

from storage.roster.read import RosterUnreadable, open_sheet


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
