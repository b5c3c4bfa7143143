"""A guide workbook from outside is refused cleanly when it is too big to unpack or hostile."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import BinaryIO

import pytest
from openpyxl import Workbook

from storage.guide_import import GuideFormatError, read_guide
from tests.roster_files import with_part


def _guide(path: Path, items: int = 12) -> Path:
    """A guide as Excel saves it: with its dimension, so a reader opens it without parsing every row."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["标题", "十二月组织生活安排"])
    sheet.append(["主题", "内容", "形式", "时间要求"])
    for n in range(1, items + 1):
        sheet.append([f"第{n}项", "学习讨论", "党小组会", "12月25日前"])
    book.save(path)
    return path


def test_a_guide_reads_its_items(tmp_path: Path) -> None:
    draft = read_guide(_guide(tmp_path / "清单.xlsx"))
    assert draft.title == "十二月组织生活安排" and len(draft.items) == 12


def test_a_part_packed_like_a_zip_bomb_is_refused_unread(tmp_path: Path) -> None:
    def strings(part: BinaryIO) -> None:
        for _ in range(20):  # 20 MB of shared strings that pack to about 60 KB
            part.write(b"<si><t>ab</t></si>" * (2**20 // 17))

    path = with_part(_guide(tmp_path / "清单.xlsx"), "xl/sharedStrings.xml", strings)
    with pytest.raises(GuideFormatError, match="压缩炸弹"):
        read_guide(path)


def test_an_entity_bomb_below_the_first_rows_is_a_format_error(tmp_path: Path) -> None:
    path = _guide(tmp_path / "清单.xlsx", items=300)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    levels = ['<!ENTITY a0 "lollollollol">']
    levels += [f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10)]  # "billion laughs"
    body = sheet.split(b"?>", 1)[-1]
    late = body.index(b"<t>", body.index(b'<row r="290"'))  # past what opening the sheet parses
    body = body[:late] + b"<t>&a9;" + body[late + 3 :]
    bomb = f'<?xml version="1.0"?><!DOCTYPE x [{"".join(levels)}]>'.encode() + body
    with pytest.raises(GuideFormatError, match="Excel"):
        read_guide(with_part(path, "xl/worksheets/sheet1.xml", bomb))
