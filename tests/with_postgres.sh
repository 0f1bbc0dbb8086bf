#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster: start it on a free
# loopback port, export DATABASE_URL, run the command, then stop and delete it.
set -euo pipefail

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing PostgreSQL server binaries…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  else
    echo "PostgreSQL server binaries are missing: install the 'postgresql' package." >&2
    exit 1
  fi
fi

RUN_AS=()
if [ "$(id -u)" = 0 ]; then RUN_AS=(runuser -u postgres --); fi

DATA=$(mktemp -d /tmp/paddock-pg.XXXXXX)
chmod 755 "$DATA"
[ "$(id -u)" = 0 ] && chown postgres "$DATA"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cleanup() {
  "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA/db" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DATA"
}
trap cleanup EXIT

"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$DATA/db" -U paddock --auth=trust -E UTF8 >/dev/null
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA/db" -l "$DATA/log" -w \
  -o "-h 127.0.0.1 -p $PORT -k $DATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
"${RUN_AS[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U paddock paddock

export DATABASE_URL="postgres://paddock@127.0.0.1:$PORT/paddock"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"
"$@"
