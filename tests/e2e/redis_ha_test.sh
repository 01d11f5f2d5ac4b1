#!/usr/bin/env bash
# End to end, a city whose Redis fails over: the launcher with
# GNLC_REDIS_HA=1 runs each city's Redis as a primary, a replica and three
# Sentinels, and a write is acknowledged only once the replica has it. A
# learner registered before Nanjing's primary is killed with SIGKILL is
# still there after the failover; with no replica left, writes are refused
# (UNAVAILABLE, never INTERNAL) rather than acknowledged unreplicated; the
# killed server started again (up.sh, as a supervisor would) becomes the
# new primary's replica and writes succeed; down.sh and up.sh keep the
# promoted server as the primary; no process is left behind.
# Usage (from CTest): redis_ha_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
run="$(mktemp -d /tmp/gnlc-ha-XXXXXX)"
export GNLC_RUN_DIR="$run" GNLC_BUILD_DIR="$build" GNLC_SKIP_DEPS=1 GNLC_SKIP_BUILD=1 GNLC_REDIS_HA=1
ctl="$build/tools/gnlcctl/gnlcctl"
cleanup() { "$src/deploy/local/down.sh" >/dev/null 2>&1 || true; rm -rf "$run"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
city=nanjing
dir="$run/$city"
call() { "$ctl" --network="$run/network.json" --city="$city" --timeout_ms=3000 "$@"; }
admin_cli() {  # admin_cli NAME ARGS...: redis-cli to the city's server NAME as admin
  local name="$1"
  shift
  redis-cli -p "$(cat "$dir/$name.port")" --user admin --pass "$(cat "$run/pki/$city/redis/admin.password")" \
    --no-auth-warning "$@"
}
new_learner='{"parent":"cities/nanjing","learner":{"district":"gulou","ageBand":"AGE_BAND_ADULT"}}'

"$src/deploy/local/up.sh" >"$run/up.log" 2>&1 || { cat "$run/up.log"; fail "up.sh failed"; }
[ "$(admin_cli redis role | head -1)" = master ] || fail "redis is not the primary"
[ "$(admin_cli redis-replica role | head -1)" = slave ] || fail "redis-replica is not a replica"

learner=$(call enrollment.CreateLearner "$new_learner" | grep -o 'cities/nanjing/learners/[a-z0-9]*' | head -1)
[ -n "$learner" ] || fail "no learner registered"
[ "$(admin_cli redis wait 1 5000)" = 1 ] || fail "the replica did not acknowledge the write"

kill -KILL "$(cat "$dir/redis.pid")"
killed=$(date +%s)
: >"$run/errors"
promoted=""
for _ in $(seq 240); do  # bounded: about a minute
  [ "$(redis-cli -p "$(cat "$dir/sentinel-1.port")" sentinel get-master-addr-by-name gnlc-$city | tail -1)" = \
    "$(cat "$dir/redis-replica.port")" ] && { promoted=yes; break; }
  sleep 0.25
done
[ -n "$promoted" ] || fail "Sentinel did not promote the replica within a minute"
echo "replica promoted $(($(date +%s) - killed)) s after the kill"
# The new primary has no replica: a write is refused, not acknowledged.
for _ in $(seq 40); do  # bounded: the services find the new primary first
  out=$(call enrollment.CreateLearner "$new_learner" 2>&1) && fail "a write was acknowledged with no replica"
  echo "$out" >>"$run/errors"
  grep STORAGE_NOT_REPLICATED <<<"$out" >/dev/null && break
  sleep 0.25
done
grep STORAGE_NOT_REPLICATED "$run/errors" >/dev/null || { tail -3 "$run/errors"; fail "no write refused as not replicated"; }
# The killed server comes back (as a supervisor restarts it): the replica.
"$src/deploy/local/up.sh" >"$run/up-restart.log" 2>&1 || { tail -20 "$run/up-restart.log"; fail "up.sh after the kill failed"; }
[ "$(admin_cli redis role | head -1)" = slave ] || fail "the killed server did not come back as the replica"
written=""
for _ in $(seq 240); do  # bounded: about a minute
  if out=$(call enrollment.CreateLearner "$new_learner" 2>&1); then
    written=yes
    break
  fi
  echo "$out" >>"$run/errors"
  sleep 0.25
done
[ -n "$written" ] || { tail -5 "$run/errors"; fail "no write succeeded after the old primary came back"; }
if grep -i internal "$run/errors" >/dev/null; then
  grep -i internal "$run/errors" | head -3
  fail "a failover error reached a caller as INTERNAL"
fi
echo "writes again $(($(date +%s) - killed)) s after the kill; $(grep -c UNAVAILABLE "$run/errors" || true) refused as UNAVAILABLE meanwhile"
call enrollment.GetLearner "{\"name\":\"$learner\"}" | grep "\"$learner\"" >/dev/null \
  || fail "the learner registered before the kill is gone"
[ "$(admin_cli redis-replica role | head -1)" = master ] || fail "the replica was not promoted"
for svc in catalog enrollment partnership analytics; do
  "$ctl" --city="$city" --addr="127.0.0.1:$(cut -d' ' -f1 "$dir/$svc.ports")" \
    grpc.health.v1.Health.Check "{}" | grep '"SERVING"' >/dev/null || fail "$svc not SERVING after the failover"
done

# Stopped and started again: the promoted server stays the primary, and
# the old one comes back as its replica, losing nothing.
"$src/deploy/local/down.sh" >/dev/null 2>&1 || fail "down.sh failed"
"$src/deploy/local/up.sh" >"$run/up2.log" 2>&1 || { tail -20 "$run/up2.log"; fail "second up.sh failed"; }
[ "$(admin_cli redis-replica role | head -1)" = master ] || fail "the promoted server is not the primary again"
[ "$(admin_cli redis role | head -1)" = slave ] || fail "the old primary is not its replica"
call enrollment.GetLearner "{\"name\":\"$learner\"}" | grep "\"$learner\"" >/dev/null \
  || fail "the learner is gone after the restart"

"$src/deploy/local/down.sh" >/dev/null 2>&1 || fail "down.sh failed"
if pgrep -f "$run" >/dev/null; then
  pgrep -af "$run" | head -5
  fail "processes left behind"
fi
echo "PASS"
