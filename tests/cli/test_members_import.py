from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.roster_files import SAMPLE, write_csv, write_xlsx

GOOD = SAMPLE[:2]

runner = CliRunner()


def test_import_prints_a_summary_and_is_idempotent(cli_env: Path) -> None:
    path = write_xlsx(cli_env / "名册.xlsx", GOOD)
    checked = runner.invoke(app, ["members", "import", str(path), "--org", "幸福街道党工委", "--dry-run"])
    assert checked.exit_code == 0 and "检查通过" in checked.output and "新增 2 人" in checked.output
    assert "还没有组织" in runner.invoke(app, ["orgs", "tree"]).output
    first = runner.invoke(app, ["members", "import", str(path), "--org", "幸福街道党工委"])
    assert first.exit_code == 0, first.output
    assert "新增 2 人" in first.output and "第一党支部" in first.output
    again = runner.invoke(app, ["members", "import", str(path)])
    assert again.exit_code == 0, again.output
    assert "新增 0 人" in again.output and "未变 2 人" in again.output
    listing = runner.invoke(app, ["members", "list"])
    assert "张建华" in listing.output and "李秀英" in listing.output


def test_import_lists_every_error_exits_non_zero_and_imports_nothing(cli_env: Path) -> None:
    bad = [*GOOD, ("王五", "男", "", "2001-02-30", "", "第二党支部", "", "", "1390000")]
    path = write_csv(cli_env / "名册.csv", bad, encoding="gbk")
    result = runner.invoke(app, ["members", "import", str(path), "--org", "幸福街道党工委"])
    assert result.exit_code == 3
    assert "2 处错误" in result.output and "没有这一天" in result.output and "11位" in result.output
    assert "手机号码" in result.output and "入党日期" in result.output
    tree = runner.invoke(app, ["orgs", "tree"])
    assert "还没有组织" in tree.output


def test_import_refuses_unreadable_files_with_a_clear_message(cli_env: Path) -> None:
    old = cli_env / "名册.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    result = runner.invoke(app, ["members", "import", str(old), "--org", "幸福街道党工委"])
    assert result.exit_code == 3 and ".xlsx" in result.output
    missing = runner.invoke(app, ["members", "import", str(cli_env / "nope.csv")])
    assert missing.exit_code == 3 and "nope.csv" in missing.output
