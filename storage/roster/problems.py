"""The problems found in a roster file: the first ones kept to show, the rest only counted.

A broken file of tens of thousands of rows has as many problems; the first ``LISTED`` show what is
wrong, and the counts say how much more there is, without holding (or printing) every one of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from storage.roster.cells import CellError

LISTED = 200


@dataclass(slots=True)
class Problems(Sequence[CellError]):
    """A sequence of the listed problems; ``total`` and ``unlisted_rows`` cover the whole file.

    Problems arrive in row order, so a row whose first problem was listed is not counted again.
    """

    listed: list[CellError] = field(default_factory=list)
    total: int = 0
    unlisted_rows: int = 0
    _last_row: int | None = None

    def add(self, problem: CellError) -> None:
        self.total += 1
        if len(self.listed) < LISTED:
            self.listed.append(problem)
        elif problem.row != self._last_row:
            self.unlisted_rows += 1
        self._last_row = problem.row

    def extend(self, problems: Iterable[CellError]) -> None:
        for problem in problems:
            self.add(problem)

    @overload
    def __getitem__(self, index: int) -> CellError: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[CellError]: ...
    def __getitem__(self, index: int | slice) -> CellError | Sequence[CellError]:
        return self.listed[index]

    def __len__(self) -> int:
        return len(self.listed)

    def __iter__(self) -> Iterator[CellError]:
        return iter(self.listed)
