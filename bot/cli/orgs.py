"""`zhibu orgs ...`: look at the organization tree."""

from __future__ import annotations

import typer
from rich.text import Text
from rich.tree import Tree
from sqlmodel import Session

from bot.cli._common import console, engine
from storage.members import in_org
from storage.models import Organization
from storage.orgs import children, roots

app = typer.Typer(help="组织 / organizations.", no_args_is_help=True)


def _grow(session: Session, node: Tree, org: Organization) -> None:
    count = len(in_org(session, org.id))
    branch = node.add(Text.assemble(org.name, " ", (f"{org.kind} · {count}人", "dim")))
    for child in children(session, org.id):
        _grow(session, branch, child)


@app.command("tree")
def tree_cmd() -> None:
    """Print the organization tree with member counts (组织树)."""
    with Session(engine()) as session:
        top = roots(session)
        if not top:
            console.print(
                "还没有组织。先导入名册，第一次导入要用 --org 写上级党组织的名称（会自动创建）："
                "zhibu members import 名册.xlsx --org 幸福街道党工委；或者运行 zhibu demo 看演示 / "
                "no organizations yet: import a roster with `zhibu members import FILE --org NAME` "
                "(the first import needs --org), or try `zhibu demo`"
            )
            return
        tree = Tree("组织 / organizations")
        for org in top:
            _grow(session, tree, org)
        console.print(tree)
