"""`zhibu kb ...`: a branch's own knowledge entries, and a search that shows its workings for tuning."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from bot.cli._common import console, engine, error_boundary, fail
from handlers.ask import Explained
from handlers.ask import explain as explained
from handlers.commands import COMMANDS
from storage.db import session_scope
from storage.knowledge.base import default_base
from storage.knowledge.entries import (
    Entry,
    delete_local,
    dump_yaml,
    local_entries,
    read_entries_file,
    save_local,
    unique_keys,
)
from storage.knowledge.normalize import simplify
from storage.orgs import ancestors, resolve

app = typer.Typer(help="知识库 / knowledge base: 本支部条目的增改、导入导出与检索调试.", no_args_is_help=True)

ORG_HELP = "组织名称或路径，如 第一党支部 或 某街道党工委/第一党支部 / organization name or path"


def _list(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in values or [] if v.strip())


@app.command("add")
def add(
    org: str = typer.Option(..., "--org", help=ORG_HELP),
    key: str = typer.Option(
        ..., "--key", help="条目键；与内置条目同键即覆盖它 / key; a built-in key overrides it"
    ),
    question: str = typer.Option(..., "--question", "-q", help="标准问法 / canonical question"),
    answer: str = typer.Option(..., "--answer", "-a", help="答案 / the answer"),
    alternative: list[str] = typer.Option(
        None, "--alt", help="其他问法，可重复 / another phrasing (repeatable)"
    ),
    keyword: list[str] = typer.Option(None, "--keyword", "-k", help="关键词，可重复 / keyword (repeatable)"),
    source: str = typer.Option("", "--source", help="依据 / where the answer comes from"),
) -> None:
    """Add or update one local entry of an organization (新增/修改本支部条目)."""
    with error_boundary(), session_scope(engine()) as session:
        target = resolve(session, org)
        created = save_local(
            session,
            entry=Entry(
                key=key.strip(),
                question=question.strip(),
                answer=answer.strip(),
                alternatives=_list(alternative),
                keywords=_list(keyword),
                source=source.strip(),
                org_id=target.id,
            ),
        )
    verb = "已新增 / added" if created else "已更新 / updated"
    console.print(f"{verb}: {target.name} · {key}")


@app.command("import")
def import_(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="YAML 或 CSV 文件 / YAML or CSV"
    ),
    org: str = typer.Option(..., "--org", help=ORG_HELP),
) -> None:
    """Import local entries from a YAML or CSV file, all or none (CSV: key,question,alternatives,...)."""
    with error_boundary(), session_scope(engine()) as session:
        target = resolve(session, org)
        entries = unique_keys(read_entries_file(file, org_id=target.id), where=file.name)
        created = sum(save_local(session, entry=entry) for entry in entries)
    console.print(
        f"{target.name}: 新增 {created} 条，更新 {len(entries) - created} 条 / "
        f"{created} added, {len(entries) - created} updated"
    )


@app.command("export")
def export(
    org: str = typer.Option(
        None, "--org", help=ORG_HELP + "；不给则导出内置知识库 / omit for the built-in base"
    ),
    output: Path = typer.Option(
        None, "--output", "-o", help="写入文件，默认输出到屏幕 / file to write (default stdout)"
    ),
) -> None:
    """Export entries as YAML that `zhibu kb import` reads back (导出)."""
    with error_boundary(), session_scope(engine()) as session:
        if org:
            target = resolve(session, org)
            entries = local_entries(session, org_ids=[target.id] if target.id is not None else [])
        else:
            entries = list(default_base().builtin()[0])
    text = dump_yaml(entries)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"已导出 {len(entries)} 条到 {output} / exported {len(entries)} entries")


@app.command("delete")
def delete(
    key: str = typer.Argument(..., help="条目键 / entry key"),
    org: str = typer.Option(..., "--org", help=ORG_HELP),
) -> None:
    """Delete a local entry; a built-in entry it overrode applies again (删除本支部条目)."""
    with error_boundary(), session_scope(engine()) as session:
        target = resolve(session, org)
        if target.id is None or not delete_local(session, org_id=target.id, key=key):
            raise fail(f"{target.name} 没有条目 {key} / no local entry {key!r}", 1)
    console.print(f"已删除 / deleted: {target.name} · {key}")


@app.command("search")
def search(
    question: str = typer.Argument(..., help="问题 / the question"),
    org: str = typer.Option(
        None, "--org", help=ORG_HELP + "；含该组织的本地条目 / include its local entries"
    ),
    limit: int = typer.Option(5, "--limit", "-n", min=1, max=50, help="显示几条 / how many"),
    explain: bool = typer.Option(
        False, "--explain", help="逐种读法说明排名和判定 / each reading of the question, ranked and judged"
    ),
) -> None:
    """Show the tokens and the ranked entries with scores and coverage, to tune entries (检索调试)."""
    with error_boundary(), session_scope(engine()) as session:
        org_ids: list[int] = []
        if org:
            target = resolve(session, org)
            org_ids = [o.id for o in [target, *ancestors(session, target)] if o.id is not None]
        for shown in explained(default_base(), question, session=session, org_ids=org_ids, k=limit):
            if explain:
                console.print(f"\n读法 / reading ({shown.reading.why}): {shown.reading.text}")
            _print_ranking(shown, explain=explain)
            if not explain:
                break
    command = next((c.name for c in COMMANDS if c.pattern.match(simplify(question))), None)
    if command is not None:
        console.print(
            f"注意：聊天里这句话先由命令 {command} 处理 / in chat the command {command!r} takes it first"
        )


def _print_ranking(shown: Explained, *, explain: bool) -> None:
    result = shown.result
    console.print(f"分词 / tokens: {' | '.join(result.tokens) or '（无 / none）'}")
    table = Table("#", "key", "问题 / question", "score", "coverage", "fit", "来源 / source")
    for column in table.columns[1:3]:
        column.overflow = "fold"
    for n, found in enumerate(result.hits, 1):
        origin = f"local#{found.entry.org_id}" if found.entry.is_local else "built-in"
        if explain and not found.on_topic:
            origin += "（只匹配日常用语 / everyday words only）"
        row = (found.entry.key, found.entry.question, f"{found.score:.3f}", f"{found.coverage:.2f}")
        table.add_row(str(n), *row, f"{found.fit:.2f}", origin)
    console.print(table)
    console.print(f"判定 / decision: {shown.decision}")
    if explain:
        chosen = shown.chosen
        console.print(f"理由 / why: {chosen.entry.key + ' — ' if chosen else ''}{shown.why_cn} / {shown.why}")
