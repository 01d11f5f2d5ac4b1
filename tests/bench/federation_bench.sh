#!/usr/bin/env bash
# Federation benchmark (issue: federation). Two cities on 127.0.0.1, each
# with its own Redis and catalog, TLS, tokens, Redis users and mutual TLS
# between them as in production (development credentials):
#   1. Suzhou gets N synthetic programs (about 2.5 offerings each) through its
#      API, Nanjing N of its own; Nanjing's catalog is then started with
#      Suzhou as a peer and timed until its mirror is complete (initial
#      mirror: seconds, programs per second), and its RSS read with N local
#      plus N mirrored programs.
#   2. Live lag: gnlc-federation-lag renames a probe program at Suzhou and
#      times until Nanjing's network search finds the new name, while
#      gnlc-load writes 200 updates a second to Suzhou's programs.
#   3. SearchPrograms, network scope against city scope on the same queries,
#      at 16 and 64 in flight, as ratios to the echo ceiling; then again with
#      a third peer black-holed (a port that accepts and never answers).
#
#   tests/bench/federation_bench.sh                 # N=100000, 5 s per run
#   GNLC_BENCH_PROGRAMS=5000 GNLC_BENCH_SECONDS=2 tests/bench/federation_bench.sh
#
# Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${GNLC_BUILD_DIR:-$root/build}"
n="${GNLC_BENCH_PROGRAMS:-100000}"
secs="${GNLC_BENCH_SECONDS:-5}"
work="$(mktemp -d /tmp/gnlc-fed-bench-XXXXXX)"
load="$build/tests/gnlc-load"
lag="$build/tests/gnlc-federation-lag"
ctl="$build/tools/gnlcctl/gnlcctl"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for city in nanjing suzhou; do
    redis-cli -p "$(cat "$work/$city.rport" 2>/dev/null || echo 1)" --user admin \
      --pass "$(cat "$work/pki/$city/redis/admin.password" 2>/dev/null)" --no-auth-warning \
      shutdown nosave >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

export GNLC_RUN_DIR="$work"
"$ctl" dev-pki --dir="$work/pki" --cities=nanjing,suzhou,hangzhou >/dev/null
source "$root/tests/bench/bench_redis.sh"
# Servers refuse to start without a page-token secret (no guessable default).
export GNLC_PAGE_TOKEN_SECRET="${GNLC_PAGE_TOKEN_SECRET:-$(head -c 24 /dev/urandom | base64)}"
pick_port() { local p=$1; while ! port_free "$p"; do p=$((p + 1)); done; echo "$p"; }

base=26379
for city in nanjing suzhou; do
  mkdir -p "$work/$city"
  start_redis "$base" "$work/$city" "$work/pki/$city"
  base=$((base + 100))
  echo "$rport" >"$work/$city.rport"
  "$ctl" token --city=$city --role=city_admin --sub=bench --ttl_seconds=7200 >"$work/$city.token"
done
suzhou_peer=$(pick_port 27479)

start_catalog() {  # start_catalog CITY CONFIG EXTRA_FLAGS...
  local city=$1 config=$2
  shift 2
  rm -f "$work/$city.ports"
  "$build/services/catalog/gnlc-catalog" --config="$config" --secrets_dir="$work/pki/$city" \
    --redis=127.0.0.1:"$(cat "$work/$city.rport")" --port_file="$work/$city.ports" \
    --rate_limits=off "$@" >>"$work/$city.log" 2>&1 &
  pids+=($!)
  echo $! >"$work/$city.pid"
  until [ -s "$work/$city.ports" ]; do sleep 0.05; done
  local port
  port=$(cut -d' ' -f1 "$work/$city.ports")
  until "$ctl" --addr=127.0.0.1:"$port" --city="$city" grpc.health.v1.Health.Check '{}' 2>/dev/null \
    | grep '"SERVING"' >/dev/null; do sleep 0.05; done
}
port_of() { cut -d' ' -f1 "$work/$1.ports"; }
stop_catalog() { kill -TERM "$(cat "$work/$1.pid")"; wait "$(cat "$work/$1.pid")" 2>/dev/null || true; }
tls() { echo --ca="$work/pki/$1/tls/ca.crt" --token_file="$work/$1.token"; }

echo "== loading $n synthetic programs into each city through its API"
start_catalog suzhou "$root/deploy/cities/suzhou.json" --peer_port="$suzhou_peer"
"$build/tools/demo/gnlc-demo-load" --addr=127.0.0.1:"$(port_of suzhou)" \
  --config="$root/deploy/cities/suzhou.json" $(tls suzhou) --synthetic="$n" --threads=16 | tail -1
start_catalog nanjing "$root/deploy/cities/nanjing.json"
"$build/tools/demo/gnlc-demo-load" --addr=127.0.0.1:"$(port_of nanjing)" \
  --config="$root/deploy/cities/nanjing.json" $(tls nanjing) --synthetic="$n" --threads=16 | tail -1
stop_catalog nanjing

echo "== initial mirror: Nanjing harvests Suzhou ($n programs)"
t0=$(date +%s.%N)
start_catalog nanjing "$root/deploy/cities/nanjing.json" --peer_catalogs=suzhou=127.0.0.1:"$suzhou_peer"
# Done when the harvest has caught up and this replica's index of the
# mirror holds all N programs (searchable).
mirrored() {
  "$ctl" --addr=127.0.0.1:"$(port_of nanjing)" --city=nanjing catalog.ListPeerStatuses \
    '{"parent":"cities/nanjing"}' 2>/dev/null >"$work/status.json" || return 1
  grep PEER_STATE_CAUGHT_UP "$work/status.json" >/dev/null &&
    grep "\"programs\": \"$n\"" "$work/status.json" >/dev/null
}
until mirrored; do sleep 0.1; done
t1=$(date +%s.%N)
"$ctl" --addr=127.0.0.1:"$(port_of nanjing)" --city=nanjing peers
awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "initial mirror: %.1f s (process start to all programs searchable), %.0f programs/s\n", b - a, n / (b - a) }'
grep '"msg":"peer mirror' "$work/nanjing.log" | tail -2
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$(cat "$work/nanjing.pid")/status")
echo "Nanjing catalog RSS with $n local + $n mirrored programs: $((rss_kb / 1024)) MiB"

echo "== live lag under 200 origin writes per second"
rcli_s() { redis-cli -p "$(cat "$work/suzhou.rport")" --user admin \
  --pass "$(cat "$work/pki/suzhou/redis/admin.password")" --no-auth-warning "$@"; }
rcli_s --raw hkeys 'cat:{0}:programs' >"$work/suzhou.ids"  # (no pipe into head: pipefail)
head -5000 "$work/suzhou.ids" | awk '{ printf "{\"program\":{\"name\":\"cities/suzhou/programs/%s\",\"description\":{\"en\":\"bench update %d\"}},\"updateMask\":\"description\"}\n", $1, NR }' >"$work/updates.jsonl"
"$load" --target=127.0.0.1:"$(port_of suzhou)" --method=catalog.UpdateProgram \
  --requests="$work/updates.jsonl" --inflight=8 --rate=200 --seconds=300 --label=origin-writes \
  $(tls suzhou) >"$work/writes.out" 2>&1 &
writer=$!
"$lag" --origin=127.0.0.1:"$(port_of suzhou)" --origin_city=suzhou \
  --origin_ca="$work/pki/suzhou/tls/ca.crt" --origin_token_file="$work/suzhou.token" \
  --mirror=127.0.0.1:"$(port_of nanjing)" --mirror_city=nanjing \
  --mirror_ca="$work/pki/nanjing/tls/ca.crt" --mirror_token_file="$work/nanjing.token" \
  --probes=200 --interval_ms=100 || true
kill -TERM $writer 2>/dev/null || true
wait $writer 2>/dev/null || true
{ grep -v '^RESULT' "$work/writes.out" || true; } | tail -2

echo "== SearchPrograms: network scope against city scope"
queries=(书法 茶艺 编程 太极 陶艺 摄影 calligraphy tea coding pottery)
for scope in SEARCH_SCOPE_CITY SEARCH_SCOPE_NETWORK; do
  for q in "${queries[@]}"; do
    echo "{\"parent\":\"cities/nanjing\",\"query\":\"$q\",\"page_size\":20,\"scope\":\"$scope\"}"
  done >"$work/search_$scope.jsonl"
done
echo_args=(--echo_cert="$work/pki/nanjing/tls/catalog.crt" --echo_key="$work/pki/nanjing/tls/catalog.key")
run_searches() {  # run_searches LABEL_SUFFIX
  for scope in SEARCH_SCOPE_CITY SEARCH_SCOPE_NETWORK; do
    for inflight in 16 64; do
      "$load" --target=127.0.0.1:"$(port_of nanjing)" --method=catalog.SearchPrograms \
        --requests="$work/search_$scope.jsonl" --inflight=$inflight --seconds="$secs" --echo \
        --label="${scope#SEARCH_SCOPE_}$1" $(tls nanjing) "${echo_args[@]}" | { grep -v '^RESULT' || true; }
    done
  done
}
export GNLC_SEARCH_CACHE_ENTRIES=0  # measure the searches, not the cache
stop_catalog nanjing
start_catalog nanjing "$root/deploy/cities/nanjing.json" --peer_catalogs=suzhou=127.0.0.1:"$suzhou_peer"
run_searches ""

echo "== the same with a third peer black-holed (accepts connections, never answers)"
hole=$(pick_port 28479)
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $hole)); s.listen(1024)
time.sleep(600)" &
pids+=($!)
python3 - "$root/deploy/cities/nanjing.json" "$work/nanjing-3peers.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["peers"].append({"cityId": "hangzhou"})
json.dump(c, open(sys.argv[2], "w"))
PY
stop_catalog nanjing
start_catalog nanjing "$work/nanjing-3peers.json" \
  --peer_catalogs=suzhou=127.0.0.1:"$suzhou_peer",hangzhou=127.0.0.1:"$hole"
run_searches "+blackhole"
"$ctl" --addr=127.0.0.1:"$(port_of nanjing)" --city=nanjing peers
