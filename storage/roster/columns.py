"""Which column holds what: the Chinese headers member systems export, and their common variants."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storage.roster.cells import CellError

# field -> accepted headers; the first one is what the README and error messages call it
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "党员姓名"),
    "gender": ("性别",),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "生日"),
    "joined_on": ("入党日期", "入党时间", "加入党组织日期", "入党年月"),
    "full_on": ("转正日期", "转正时间", "转为正式党员日期", "转正年月"),
    "branch": ("所在党支部", "党支部", "支部名称", "所在支部", "支部", "所在党组织", "党组织名称"),
    "group": ("党小组", "所在党小组", "党小组名称", "小组"),
    "role": ("职务", "党内职务", "支部职务"),
    "phone": ("手机号码", "手机", "手机号", "联系电话", "电话", "联系方式", "移动电话"),
}
REQUIRED = ("name", "joined_on")

_BY_HEADER = {alias: key for key, aliases in HEADERS.items() for alias in aliases}
_NOTE = re.compile(r"[(（【\[].*?[)）】\]]")

MISSING_COLUMN = "缺少必填列“{header}”"
TWICE = "“{first}”和“{second}”都表示{header}，请只保留一列"
IGNORED = "这些列不认识，已忽略：{names}"


@dataclass(slots=True)
class Columns:
    """Where each known field sits in a row, and the header text the user gave it."""

    index: dict[str, int] = field(default_factory=dict)
    header: dict[str, str] = field(default_factory=dict)

    def has(self, key: str) -> bool:
        return key in self.index


def canonical(text: str) -> str:
    """A header without spaces, required-field stars or notes such as （yyyy-mm-dd）."""
    return _NOTE.sub("", text).replace(" ", "").replace("*", "").replace("＊", "").strip()


def map_columns(header: list[str], header_row: int) -> tuple[Columns, list[CellError], list[CellError]]:
    """Locate known columns; errors for missing or doubled ones, a warning naming ignored ones."""
    columns, errors, unknown = Columns(), [], []
    for position, text in enumerate(header):
        key = _BY_HEADER.get(canonical(text))
        if key is None:
            if text:
                unknown.append(text)
        elif key in columns.index:
            first = columns.header[key]
            errors.append(
                CellError(header_row, text, TWICE.format(first=first, second=text, header=HEADERS[key][0]))
            )
        else:
            columns.index[key] = position
            columns.header[key] = text
    for key in REQUIRED:
        if key not in columns.index:
            errors.append(
                CellError(header_row, HEADERS[key][0], MISSING_COLUMN.format(header=HEADERS[key][0]))
            )
    warnings = (
        [CellError(header_row, "、".join(unknown), IGNORED.format(names="、".join(unknown)))]
        if unknown
        else []
    )
    return columns, errors, warnings
