"""Where imported members go: the branch and 党小组 named in each row, found or created under a parent.

"/" (or "／") separates levels, in the 所在党支部 column as in ``--org`` (``storage.orgs.resolve``):
"和平社区党委/第一网格党支部" is a branch inside a community committee. So no organization's name can
contain "/": a new level above the branch must look like a committee (党委, 党工委, 党总支), or the
"/" was part of one name ("机关第一/第二联合党支部") and the row is refused rather than split in two.

The organization tree is loaded once, so a 20,000-row roster costs a handful of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from bot.core.errors import ZhibuError
from storage.models import Organization, OrgKind
from storage.orgs import OrgNotFound, descendants, resolve, roots
from storage.roster.cells import CellError
from storage.roster.validate import RosterRow

NEEDS_BRANCH = "必填：导入到的“{parent}”不是党支部，请填写所在党支部"
AMBIGUOUS_BRANCH = "“{name}”在“{parent}”下有重名，请写完整路径：{paths}"
NO_ORGS = (
    "还没有任何组织：请用 --org 写上级党组织的名称（如“幸福街道党工委”），会自动创建"
    " / no organizations yet: pass --org NAME"
)
SEVERAL_ROOTS = (
    "有多个顶层组织（{names}），请用 --org 指定导入到哪个 / several top-level organizations: pass --org"
)
SLASH_IN_NAME = (
    "“/”表示上下级，但“{upper}”既不是已有的组织，也不像党委、党总支的名称；"
    "组织名称里不能有“/”，请换成别的符号"
)
NEW_ROOT_WITH_SLASH = (
    "还没有组织，--org 只能写一个名称（“/”用来分隔上下级）：{ref}"
    " / no organizations yet: pass one name, without /"
)
# the kinds a new level above a branch may be
_HOLDS_BRANCHES = (
    OrgKind.COMMITTEE,
    OrgKind.WORKING_COMMITTEE,
    OrgKind.GENERAL_BRANCH,
    OrgKind.COMMUNITY_COMMITTEE,
)

# longest suffix first, so that 网格党支部 wins over 党支部
_SUFFIX_KINDS = (
    ("微网格党小组", OrgKind.MICRO_GRID_GROUP),
    ("网格党支部", OrgKind.GRID_BRANCH),
    ("社区党委", OrgKind.COMMUNITY_COMMITTEE),
    ("党工委", OrgKind.WORKING_COMMITTEE),
    ("党总支", OrgKind.GENERAL_BRANCH),
    ("党小组", OrgKind.GROUP),
    ("党委", OrgKind.COMMITTEE),
)


def kind_for(name: str, default: OrgKind) -> OrgKind:
    """Guess an organization's kind from how its name ends (第三党支部 → 党支部)."""
    for suffix, kind in _SUFFIX_KINDS:
        if name.endswith(suffix):
            return kind
    return default


def import_parent(session: Session, ref: str | None) -> Organization:
    """The organization the roster goes under: ``--org``, else the only root; a first import may create it."""
    top = roots(session)
    if ref:
        try:
            return resolve(session, ref)
        except OrgNotFound:
            if top:
                raise
        if "/" in ref.replace("／", "/"):
            raise ZhibuError(NEW_ROOT_WITH_SLASH.format(ref=ref.strip())) from None
        root = Organization(name=ref.strip(), kind=kind_for(ref.strip(), OrgKind.COMMITTEE))
        session.add(root)
        session.flush()
        return root
    if len(top) == 1:
        return top[0]
    raise ZhibuError(NO_ORGS if not top else SEVERAL_ROOTS.format(names="、".join(o.name for o in top)))


Place = tuple[int, int | None]  # (branch org id, 党小组 org id)


@dataclass(slots=True)
class Placer:
    """Finds or creates the branch and group of each row below ``parent``."""

    session: Session
    parent: Organization
    created: list[str] = field(default_factory=list)
    _children: dict[tuple[int, str], Organization] = field(default_factory=dict)
    _below: dict[str, list[Organization]] = field(default_factory=dict)
    _by_id: dict[int, Organization] = field(default_factory=dict)
    _cache: dict[tuple[str, str], Place] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for org in descendants(self.session, self.parent.id):  # type: ignore[arg-type]
            self._children[(org.parent_id, org.name)] = org  # type: ignore[index]
            self._below.setdefault(org.name, []).append(org)
            self._by_id[org.id] = org  # type: ignore[index]

    def problem(self, row: RosterRow, branch_header: str) -> CellError | None:
        """Why this row cannot be placed, found before anything is written."""
        parts = self._levels(row.branch)
        first = parts[0] if parts else ""
        if not row.branch and not OrgKind(self.parent.kind).is_branch:
            return CellError(row.row, branch_header, NEEDS_BRANCH.format(parent=self.parent.name))
        if first and first != self.parent.name and len(self._below.get(first, [])) > 1:
            paths = "；".join(self._path(org) for org in self._below[first])
            reason = AMBIGUOUS_BRANCH.format(name=first, parent=self.parent.name, paths=paths)
            return CellError(row.row, branch_header, reason)
        upper = self._unlikely_upper(parts)
        if upper is not None:
            return CellError(row.row, branch_header, SLASH_IN_NAME.format(upper=upper))
        return None

    def _levels(self, text: str) -> list[str]:
        """The names a 所在党支部 cell lists, top first; a path may start at the parent itself."""
        parts = [p.strip() for p in text.replace("／", "/").split("/") if p.strip()]
        return parts[1:] if len(parts) > 1 and parts[0] == self.parent.name else parts

    def _unlikely_upper(self, parts: list[str]) -> str | None:
        """The first level above the last that is new and not named like a committee, if any."""
        node: Organization | None = self._below.get(parts[0], [None])[0] if parts else None
        for depth, name in enumerate(parts[:-1]):
            if depth:
                node = self._children.get((node.id, name)) if node is not None else None  # type: ignore[arg-type]
            if node is None and kind_for(name, OrgKind.BRANCH) not in _HOLDS_BRANCHES:
                return name
        return None

    def _path(self, org: Organization) -> str:
        """The path below the parent, e.g. 和平社区党委/第一网格党支部, as a cell may write it."""
        names = [org.name]
        while org.parent_id in self._by_id:
            org = self._by_id[org.parent_id]
            names.append(org.name)
        return "/".join(reversed(names))

    def place(self, row: RosterRow) -> Place:
        key = (row.branch, row.group)
        if key not in self._cache:
            branch = self._branch(row.branch)
            group = self._child(branch, row.group, OrgKind.GROUP) if row.group else None
            self._cache[key] = (branch.id, group.id if group else None)  # type: ignore[assignment]
        return self._cache[key]

    def _branch(self, text: str) -> Organization:
        parts = self._levels(text)
        if not parts or parts == [self.parent.name]:
            return self.parent
        node = self._first(parts[0])
        for part in parts[1:]:
            node = self._child(node, part, OrgKind.BRANCH)
        return node

    def _first(self, name: str) -> Organization:
        """A name anywhere below the parent (unique, checked in ``problem``), else a new child of it."""
        found = self._below.get(name, [])
        return found[0] if found else self._child(self.parent, name, OrgKind.BRANCH)

    def _child(self, parent: Organization, name: str, default: OrgKind) -> Organization:
        found = self._children.get((parent.id, name))  # type: ignore[arg-type]
        if found is None:
            found = Organization(name=name, kind=kind_for(name, default), parent_id=parent.id)
            self.session.add(found)
            self.session.flush()
            self._children[(parent.id, name)] = found  # type: ignore[index]
            self._below.setdefault(name, []).append(found)
            self.created.append(name)
        return found
