#!/usr/bin/env bash
# Set up a virtual environment and run every check: architecture contracts, then the test suite.
# With CI=true (or ZHIBU_WITH_POSTGRES=1) it also installs a local PostgreSQL and runs the suite against it.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'

# The web console's browser tests drive Debian's chromium through Playwright (tests/web/test_browser.py);
# Playwright's own browser downloads are not used. Without chromium those tests are skipped, saying why.
if ! [ -x /usr/bin/chromium ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing chromium (and a CJK font for readable screenshots)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq chromium fonts-wqy-microhei </dev/null >/dev/null
fi

echo "== import contracts"
"$VENV/bin/lint-imports"

echo "== style (ruff) and types (mypy)"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
"$VENV/bin/mypy"

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  echo "== container: a Docker engine runs here, so the tests build the image"
else
  echo "== container: no Docker engine here, so the tests lint the Dockerfile (hadolint) and check compose.yaml"
fi

echo "== tests (SQLite)"
"$VENV/bin/python" -m pytest -q "$@"

if [ "${CI:-}" = "true" ] || [ "${ZHIBU_WITH_POSTGRES:-}" = "1" ]; then
  if [ -f scripts/postgres.sh ]; then
    echo "== tests (PostgreSQL)"
    bash scripts/postgres.sh "$VENV/bin/python" -m pytest -q "$@"
  fi
fi
