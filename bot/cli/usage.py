"""Mistakes on the command line (a missing option, a bad value) explained in Chinese as well as English.

Click writes these only in English; the people who run `zhibu` on a branch's server often read only
Chinese. Known messages get a Chinese line; anything else still shows Click's own words.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

# Typer raises Click's exception classes: newer Typers from a copy of Click of their own, which is
# exported only through these public subclasses.
UsageError: type[typer.BadParameter] = typer.BadParameter.__mro__[1]

_CHINESE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Missing option '(?P<a>[^']+)'"), "缺少选项 {a}"),
    (re.compile(r"^Missing argument '(?P<a>[^']+)'"), "缺少参数 {a}"),
    (re.compile(r"^No such option: (?P<a>\S+)"), "没有选项 {a}"),
    (re.compile(r"^No such command '(?P<a>[^']+)'"), "没有命令 {a}"),
    (re.compile(r"^Option '(?P<a>[^']+)' requires an argument"), "选项 {a} 后面要写一个值"),
    (re.compile(r"^Invalid value for '(?P<a>[^']+)'"), "{a} 的值不对"),
    (re.compile(r"^Got unexpected extra arguments? \((?P<a>.*)\)"), "多出了参数：{a}"),
)
_GENERIC = "命令写法不对"


def chinese(message: str) -> str:
    """The Chinese line for one of Click's usage messages."""
    for pattern, text in _CHINESE:
        if match := pattern.match(message):
            return text.format(**match.groupdict())
    return _GENERIC


def run_explained(app: Callable[..., Any]) -> None:
    """Run a Typer app as its console script would, explaining usage errors in both languages."""
    try:
        result = app(standalone_mode=False)
    except UsageError as exc:
        show(exc)
        sys.exit(exc.exit_code)
    except typer.Abort:
        Console(stderr=True).print("已取消 / aborted")
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


def show(exc: typer.BadParameter) -> None:
    err = Console(stderr=True, highlight=False)
    message = exc.format_message()
    err.print(Text.assemble(("错误 / error:", "bold red"), f" {chinese(message)} / {message}"))
    if exc.ctx is not None:
        err.print(Text(exc.ctx.get_usage()))
    command = exc.ctx.command_path if exc.ctx is not None else "zhibu"
    err.print(Text(f"用法说明 / help: {command} --help", style="dim"))
