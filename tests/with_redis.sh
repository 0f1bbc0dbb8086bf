#!/usr/bin/env bash
# Run a command against a throwaway Redis: start it on a free loopback port (nothing
# saved to disk), export REDIS_URL, run the command, then stop it and delete its files.
set -euo pipefail

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Redis…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  else
    echo "Redis is missing: install the 'redis-server' package." >&2
    exit 1
  fi
fi
# If the package started a system-wide Redis (port 6379), this script leaves it alone.

DATA=$(mktemp -d /tmp/paddock-redis.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REDIS_PID=""

cleanup() {
  if [ -n "$REDIS_PID" ]; then
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT

redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$DATA" --logfile "$DATA/log" &
REDIS_PID=$!

for _ in $(seq 100); do
  if redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG; then break; fi
  if ! kill -0 "$REDIS_PID" 2>/dev/null; then
    echo "Redis did not start:" >&2
    cat "$DATA/log" >&2 || true
    exit 1
  fi
  sleep 0.05
done
redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null

export REDIS_URL="redis://127.0.0.1:$PORT/0"
echo "Redis $(redis-server --version | awk '{print $3}' | sed 's/^v=//') on 127.0.0.1:$PORT"
"$@"
