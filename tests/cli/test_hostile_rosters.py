"""Roster files and names that attack the importer or the terminal: refused cleanly, printed as typed."""

from __future__ import annotations

import zipfile
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from storage.xlsx_limits import MAX_UNPACKED_BYTES
from tests.roster_files import SAMPLE, write_csv, write_xlsx

runner = CliRunner()
ORG = ["--org", "幸福街道党工委"]


def _import(path: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["members", "import", str(path), *ORG])
    return result.exit_code, result.output


def test_a_name_that_is_a_formula_is_an_error_naming_row_and_column(cli_env: Path) -> None:
    rows = [
        *SAMPLE[:2],
        ('=HYPERLINK("http://x","点我")', "男", "", "2001-07-01", "", "第一党支部", "", "", ""),
    ]
    code, output = _import(write_csv(cli_env / "名册.csv", rows))
    assert code == 3 and "像是公式" in output and "4" in output and "姓名" in output
    assert "还没有组织" in runner.invoke(app, ["orgs", "tree"]).output  # nothing half-imported


def test_names_with_markup_characters_print_as_typed(cli_env: Path) -> None:
    rows = [("[/x]", "男", "", "2001-07-01", "", "[b]第一党支部", "", "", "13900000009"), SAMPLE[0]]
    code, output = _import(write_xlsx(cli_env / "名册.xlsx", rows))
    assert code == 0, output
    assert "[b]第一党支部" in runner.invoke(app, ["orgs", "tree"]).output
    for command in (["members", "list"], ["members", "show", "[/x]"], ["members", "invite", "[/x]"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0 and "[/x]" in result.output, (command, result.output)
    asked = runner.invoke(app, ["ask", "--as", "[/x]", "我的政治生日"])
    assert asked.exit_code == 0 and "[/x]" in asked.output, asked.output


def test_a_zip_bomb_is_refused_before_it_is_unpacked(cli_env: Path) -> None:
    path = write_xlsx(cli_env / "名册.xlsx", SAMPLE)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/padding.bin", "w", force_zip64=True) as padding:
            chunk = b"\0" * (1 << 20)
            for _ in range(MAX_UNPACKED_BYTES // len(chunk) + 1):
                padding.write(chunk)
    assert path.stat().st_size < 2 * 1024 * 1024
    code, output = _import(path)
    assert code == 3 and "MB" in output and "Traceback" not in output


def test_an_entity_bomb_sheet_is_an_unreadable_file_not_a_traceback(cli_env: Path) -> None:
    path = write_xlsx(cli_env / "名册.xlsx", SAMPLE)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = next(name for name in parts if name.startswith("xl/worksheets/"))
    levels = ['<!ENTITY a0 "lollollollol">'] + [
        f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10)
    ]  # "billion laughs": a few hundred bytes that expand to gigabytes
    bomb = f'<?xml version="1.0"?><!DOCTYPE x [{"".join(levels)}]>'
    body = parts[sheet].split(b"?>", 1)[-1]  # without its XML declaration, if it has one
    parts[sheet] = bomb.encode() + body.replace(b"<t>", b"<t>&a9;", 1)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    code, output = _import(path)
    assert code == 3 and "不是有效的 Excel" in output and "Traceback" not in output


def test_a_huge_broken_csv_lists_the_first_errors_and_counts_the_rest(cli_env: Path) -> None:
    rows = [("王五", "男", "", "不是日期", "", "第一党支部", "", "", "") for _ in range(500)]
    code, output = _import(write_csv(cli_env / "名册.csv", rows))
    assert code == 3 and "500 处错误" in output
    assert "另有 300 行也有问题，未列出" in output
    assert output.count("不是日期") <= 200 + 1
