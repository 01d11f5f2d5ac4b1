#!/usr/bin/env bash
# Stops everything deploy/local/up.sh started: services first (SIGTERM, so
# they drain), then each city's Redis (SIGTERM: it fsyncs its AOF). Data in
# the run folder stays for the next up.sh. Leaves no process behind.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
run="${GNLC_RUN_DIR:-$root/.run}"
[ -d "$run" ] || exit 0

stop() {  # stop PIDFILE: SIGTERM, wait up to 10 s, then SIGKILL
  local pidfile="$1" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "down.sh: $pidfile did not stop in 10 s; killing" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

for dir in "$run"/*/; do
  for pidfile in "$dir"*.pid; do
    [ "$(basename "$pidfile")" = redis.pid ] || stop "$pidfile"
  done
  rm -f "$dir"*.ports
done
for dir in "$run"/*/; do stop "${dir}redis.pid"; done
rm -f "$run/network.json"
echo "gnlc network stopped"
