"""Regenerate the single pre-release migration from storage/models.py.

Until the first release every schema change is folded into revision 0001, so
the history stays one readable file. After a release, add new revisions with
``alembic revision --autogenerate`` instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from storage.db import alembic_config, make_engine

VERSIONS = Path(__file__).resolve().parent.parent / "storage" / "migrations" / "versions"


def main() -> None:
    for old in VERSIONS.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/empty.db")
        cfg = alembic_config(engine)
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    for new in VERSIONS.glob("0001_*.py"):
        print(f"wrote {new.relative_to(VERSIONS.parent.parent.parent)}")


if __name__ == "__main__":
    main()
