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

# With replicas (GNLC_REDIS_HA=1): which server is the primary now (after
# a failover, the one that was the replica), so that up.sh starts it as
# the primary again and nothing it acknowledged is replaced.
for dir in "$run"/*/; do
  for name in redis redis-replica; do
    [ -f "$dir$name.port" ] && [ -f "$dir$name.pid" ] || continue
    city=$(basename "$dir")
    if redis-cli -p "$(cat "$dir$name.port")" --user admin \
      --pass "$(cat "$run/pki/$city/redis/admin.password" 2>/dev/null)" --no-auth-warning \
      role 2>/dev/null | head -1 | grep -q '^master$'; then
      echo "$name" >"${dir}redis.primary"
    fi
  done
done
# Services and Sentinels first (no failover while the servers stop), then
# the replicas, then the primaries.
for dir in "$run"/*/; do
  for pidfile in "$dir"*.pid; do
    case "$(basename "$pidfile")" in redis.pid | redis-replica.pid) ;; *) stop "$pidfile" ;; esac
  done
  rm -f "$dir"*.ports
done
for dir in "$run"/*/; do
  primary=$(cat "${dir}redis.primary" 2>/dev/null || echo redis)
  for name in redis-replica redis; do [ "$name" = "$primary" ] || stop "$dir$name.pid"; done
  stop "$dir$primary.pid"
done
rm -f "$run/network.json"
echo "gnlc network stopped"
