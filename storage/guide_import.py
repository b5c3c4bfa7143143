"""Read a monthly guide from Markdown, YAML or xlsx (docs/domain-rules.md §B7: 主题, 内容, 形式, 时间要求).

Errors name the row or field, so a secretary can fix the file; nothing is stored
unless the whole file reads cleanly.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from bot.core.errors import ZhibuError
from storage.guides import GuideDraft, ItemDraft, check_month
from storage.xlsx_limits import WorkbookRefused, check_archive

FIELDS = {
    "主题": "topic",
    "内容": "content",
    "形式": "form",
    "时间要求": "due",
    "topic": "topic",
    "content": "content",
    "form": "form",
    "due": "due",
    "text": "content",
}
REQUIREMENT_HEADINGS = ("总体要求", "工作要求", "要求", "general requirements")
TITLE_KEYS = ("标题", "title", "theme")
REQUIREMENT_KEYS = ("总体要求", "requirements", "要求", "notes", "participants")


# A guide is a few dozen rows of a handful of columns. Past these the file is not a guide; and a cell
# far to the right would otherwise make every row 16,384 cells wide.
GUIDE_ROWS = 2000
GUIDE_COLUMNS = 50


class GuideFormatError(ZhibuError):
    pass


def read_guide(path: Path) -> GuideDraft:
    suffix = path.suffix.lower()
    if not path.exists():
        raise GuideFormatError(f"找不到文件 {path} / file not found")
    if suffix in (".md", ".markdown", ".txt"):
        return parse_markdown(path.read_text(encoding="utf-8"))
    if suffix in (".yaml", ".yml"):
        return parse_yaml(path.read_text(encoding="utf-8"))
    if suffix == ".xlsx":
        return parse_xlsx(path)
    raise GuideFormatError(f"不支持的文件类型 {suffix}，请用 .md、.yaml 或 .xlsx / unsupported file type")


_CN_MONTHS = {n: i for i, n in enumerate("一二三四五六七八九十", 1)} | {"十一": 11, "十二": 12}
# "2026年12月…", "12月份…", "…（2026年12月）" anywhere; "十二月…" only at the start (not "纪念十月革命")
_TITLE_MONTH = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月")
_TITLE_CN_MONTH = re.compile(r"^(?:(\d{4})\s*年\s*)?(十[一二]?|[一二三四五六七八九])\s*月")


def title_month(title: str) -> tuple[int | None, int] | None:
    """(year or None, month) that a guide's title names, if it names one."""
    if match := _TITLE_MONTH.search(title):
        year, month = match.group(1), int(match.group(2))
    elif match := _TITLE_CN_MONTH.search(title.strip("【[ ")):
        year, month = match.group(1), _CN_MONTHS[match.group(2)]
    else:
        return None
    return (int(year) if year else None, month) if 1 <= month <= 12 else None


def check_draft_month(draft: GuideDraft, month: str) -> None:
    """Refuse a guide whose file names another month than the one it is published for: a November guide
    published as December's would reach every branch as this month's work."""
    if draft.month and check_month(draft.month) != month:
        raise GuideFormatError(
            f"文件写的是 {draft.month}，要发布的是 {month} / the file is for {draft.month}, not {month}"
        )
    named = title_month(draft.title)
    if named is None:
        return
    year, mon = named
    if mon != int(month[5:]) or (year is not None and year != int(month[:4])):
        when = f"{year}年{mon}月" if year else f"{mon}月"
        raise GuideFormatError(
            f"标题“{draft.title}”写的是{when}，要发布的是{month[:4]}年{int(month[5:])}月；"
            f"请改标题或月份 / the title names {when}, not {month}"
        )


def _item(fields: dict[str, str], where: str) -> ItemDraft:
    values = {FIELDS[k]: str(v).strip() for k, v in fields.items() if k in FIELDS and v is not None}
    if not values.get("topic"):
        raise GuideFormatError(f"{where}：缺少“主题” / {where}: missing 主题 (topic)")
    return ItemDraft(
        values["topic"], values.get("content", ""), values.get("form", ""), values.get("due", "")
    )


def _finish(title: str, requirements: str, items: list[ItemDraft], month: str | None = None) -> GuideDraft:
    if not title.strip():
        raise GuideFormatError("缺少标题 / the guide has no title")
    if not items:
        raise GuideFormatError("清单里没有任何事项（主题） / the guide has no items")
    return GuideDraft(title.strip(), requirements.strip(), tuple(items), month)


def parse_yaml(text: str) -> GuideDraft:
    """``title``, ``requirements`` and ``items`` (主题/内容/形式/时间要求); B7's ``sections`` also work."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise GuideFormatError(f"YAML 格式错误 / invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise GuideFormatError("YAML 顶层应是键值表 / the YAML must be a mapping")
    title = next((str(data[k]) for k in TITLE_KEYS if data.get(k)), "")
    requirements = "\n".join(str(data[k]) for k in REQUIREMENT_KEYS if data.get(k))
    items = [_item(_mapping(raw, f"第{n}项"), f"第{n}项") for n, raw in enumerate(data.get("items") or [], 1)]
    for s, section in enumerate(data.get("sections") or [], 1):
        section = _mapping(section, f"第{s}节")
        for n, raw in enumerate(section.get("items") or [], 1):
            fields = {"主题": section.get("name", ""), **_mapping(raw, f"第{s}节第{n}项")}
            items.append(_item(fields, f"第{s}节第{n}项"))
    month = str(data["month"]) if data.get("month") else None
    return _finish(title, requirements, items, month)


def _mapping(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise GuideFormatError(f"{where}应是键值表（主题: …） / {where}: expected a mapping")
    return {str(k): v for k, v in raw.items()}


_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|\d+[.、）)]|（[一二三四五六七八九十]+）)\s*")
_BULLET = re.compile(r"^[-*·]\s*(主题|内容|形式|时间要求)\s*[:：]\s*(.*)$")


def parse_markdown(text: str) -> GuideDraft:
    """``# 标题``, a ``## 总体要求`` section, then one ``## 主题`` section per item with ``- 内容：…`` lines,
    or a table whose header has 主题 | 内容 | 形式 | 时间要求."""
    title, requirements, items = "", [], []
    heading, section_no = "", 0
    fields: dict[str, str] = {}
    table: list[str] | None = None

    def close() -> None:
        if heading and fields:
            items.append(_item({"主题": heading, **fields}, f"第{section_no}节“{heading}”"))

    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("# ") and not title:
            title = line[2:].strip()
        elif line.startswith("## "):
            close()
            section_no += 1
            heading, fields, table = (
                _NUMBERING.sub("", line[3:].strip()).removeprefix("主题：").strip(),
                {},
                None,
            )
            if heading.lower() in REQUIREMENT_HEADINGS:
                heading = "__requirements__"
        elif line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if table is None:
                table = cells
            elif not all(set(c) <= set("-: ") for c in cells):
                items.append(_item(dict(zip(table, cells, strict=False)), f"第{lineno}行"))
        elif heading == "__requirements__":
            requirements.append(raw.rstrip())
        elif m := _BULLET.match(line):
            fields[m.group(1)] = m.group(2)
        elif line and heading:
            fields["内容"] = (fields.get("内容", "") + "\n" + line).strip()
    close()
    return _finish(title, "\n".join(requirements), items)


def parse_xlsx(path: Path) -> GuideDraft:
    """Key/value rows (标题, 总体要求) above a header row of 主题, 内容, 形式, 时间要求, then items."""
    title, requirements, items = "", "", []
    header: list[str] | None = None
    for rowno, row in enumerate(_xlsx_rows(path), 1):
        cells = ["" if c is None else str(c).strip() for c in row]
        if not any(cells):
            continue
        if header is None and "主题" in cells:
            header = cells
        elif header is None and cells[0] in TITLE_KEYS:
            title = next((c for c in cells[1:] if c), "")
        elif header is None and cells[0] in REQUIREMENT_KEYS:
            requirements = next((c for c in cells[1:] if c), "")
        elif header is not None:
            items.append(_item(dict(zip(header, cells, strict=False)), f"第{rowno}行"))
    if header is None:
        raise GuideFormatError("没有找到表头行（需包含“主题”列） / no header row with a 主题 column")
    return _finish(title, requirements, items)


def _xlsx_rows(path: Path) -> Iterator[tuple[object, ...]]:
    """The first sheet's rows; a file too big, too tightly packed or damaged is a ``GuideFormatError``."""
    # imported here: `zhibu ask` loads this module and must not pay for openpyxl
    from openpyxl import load_workbook

    try:
        data = path.read_bytes()
        check_archive(data, path.name)  # before openpyxl unpacks anything: a small zip may unpack to GBs
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        # rows are parsed lazily, so a hostile sheet (entities, bad XML) fails here, not on open
        for rowno, row in enumerate(sheet.iter_rows(values_only=True, max_col=GUIDE_COLUMNS), 1):
            if rowno > GUIDE_ROWS:
                raise GuideFormatError(f"{path.name} 超过 {GUIDE_ROWS} 行，不像组织生活清单 / too many rows")
            yield row
    except GuideFormatError:
        raise
    except WorkbookRefused as exc:
        raise GuideFormatError(str(exc)) from exc
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise GuideFormatError(f"无法读取 Excel 文件 / cannot read the workbook: {exc}") from exc
