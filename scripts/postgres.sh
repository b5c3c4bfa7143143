#!/usr/bin/env bash
# Run a command against a throwaway local PostgreSQL cluster, then drop the cluster.
#
#   bash scripts/postgres.sh COMMAND [ARGS...]
#
# Installs Debian's PostgreSQL server when it is missing (needs root, as in CI), starts a
# cluster in a temporary directory on a free loopback port as the `postgres` OS user
# (the server refuses to run as root), creates a role and a database, exports
#   ZHIBU_TEST_PG_URL=postgresql://zhibu:zhibu@127.0.0.1:PORT/zhibu
#   ZHIBU_TEST_PG_DATA=<data dir>  ZHIBU_TEST_PG_CTL=<command prefix that runs pg_ctl>
# (the last two let fault tests stop and restart the server), runs the command and always
# stops the cluster and removes its directory, whatever the command's exit status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
    echo "$dir"
  fi
}

BINDIR=$(pg_bindir)
if [ -z "$BINDIR" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL server not found and not root: install the 'postgresql' package first" >&2
    exit 1
  fi
  echo "== installing PostgreSQL (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends postgresql </dev/null >/dev/null
  BINDIR=$(pg_bindir)
  if [ -z "$BINDIR" ]; then
    echo "PostgreSQL installed but initdb not found under /usr/lib/postgresql/*/bin" >&2
    exit 1
  fi
fi

# Run server programs as the `postgres` OS user when we are root; as ourselves otherwise.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
  AS_PG=(runuser -u postgres --)
else
  AS_PG=()
fi

free_port() {
  "${PYTHON:-python3}" - <<'EOF'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
EOF
}

PGROOT=$(mktemp -d /tmp/zhibu-pg.XXXXXX)
chmod 755 "$PGROOT"
PGDATA="$PGROOT/data"
PGSOCK="$PGROOT/sock"
mkdir -p "$PGDATA" "$PGSOCK"
if [ "${#AS_PG[@]}" -gt 0 ]; then chown -R postgres: "$PGROOT"; fi
PORT=$(free_port)

cleanup() {
  "${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PGROOT"
}
trap cleanup EXIT INT TERM

"${AS_PG[@]}" "$BINDIR/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
  || "${AS_PG[@]}" "$BINDIR/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
# Tuned for a throwaway test cluster: durability off, enough connections for parallel e2e processes.
cat >>"$PGDATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$PGSOCK'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
EOF
"${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -l "$PGROOT/server.log" -w -t 60 start >/dev/null

psql_admin() { "${AS_PG[@]}" "$BINDIR/psql" -h "$PGSOCK" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
psql_admin -c "CREATE ROLE zhibu LOGIN SUPERUSER PASSWORD 'zhibu'"
psql_admin -c "CREATE DATABASE zhibu OWNER zhibu"

export ZHIBU_TEST_PG_URL="postgresql://zhibu:zhibu@127.0.0.1:$PORT/zhibu"
export ZHIBU_TEST_PG_DATA="$PGDATA"
export ZHIBU_TEST_PG_CTL="${AS_PG[*]} $BINDIR/pg_ctl"
echo "== PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"

status=0
"$@" || status=$?
exit "$status"
