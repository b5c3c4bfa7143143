"""Command-line mistakes are explained in Chinese too, by the installed `zhibu` script itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ZHIBU = str(Path(sys.executable).parent / "zhibu")


def zhibu(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ZHIBU, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


@pytest.mark.parametrize(
    ("args", "chinese", "usage"),
    [
        (("guide", "import", "g.md", "--month", "2026-12"), "缺少选项 --org", "Usage: zhibu guide import"),
        (("audit", "--limit", "0"), "--limit 的值不对", "Usage: zhibu audit"),
        (("audit", "--orgs", "x"), "没有选项 --orgs", "Usage: zhibu audit"),
        (("member", "list"), "没有命令 member", "Usage: zhibu [OPTIONS] COMMAND"),
        (("members", "import"), "缺少参数 file", "Usage: zhibu members import"),
        (("ask", "--batch"), "选项 --batch 后面要写一个值", "--help"),
    ],
)
def test_a_usage_mistake_is_named_in_chinese_with_the_usage_line(
    tmp_path: Path, args: tuple[str, ...], chinese: str, usage: str
) -> None:
    result = zhibu(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert chinese in result.stderr and usage in result.stderr
    assert "Traceback" not in result.stderr


def test_the_commands_own_exit_codes_and_output_pass_through(tmp_path: Path) -> None:
    missing = zhibu("members", "list", cwd=tmp_path)
    assert missing.returncode == 5 and "这里没有数据库" in missing.stderr
    assert zhibu("init", cwd=tmp_path).returncode == 0
    listed = zhibu("orgs", "tree", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
