#!/usr/bin/env bash
# Rate-limit benchmark (issue: hardening). A resident at a normal pace reads
# programs (GetProgram, 50 calls a second, 2 in flight) first alone, then
# while another resident floods the same catalog replica as fast as 64
# calls in flight allow. The catalog runs with the default limits (reads:
# 200 a second per caller, burst 400; searches 50, burst 100). The flooder
# floods GetProgram (as cheap as a call gets), then SearchPrograms (real work
# per call). Reported: the flooder's refusals
# (RESOURCE_EXHAUSTED) and accepted rate, and the neighbour's errors and
# latency alone, flooded with limits on, and flooded with limits off. The
# flooder's client shares the 2 cores with the server: what the neighbour
# still feels with limits on is mostly the cost of refusing ~35,000 calls a
# second on the same machine.
#
#   tests/bench/rate_limit_bench.sh            # 10 s per phase
#   GNLC_BENCH_SECONDS=5 tests/bench/rate_limit_bench.sh
#
# Everything runs on 127.0.0.1 and stops by itself.
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
secs="${GNLC_BENCH_SECONDS:-10}"

echo "== set-up: 2000 synthetic programs (limits off while loading)"
start catalog
"$build/tools/demo/gnlc-demo-load" --addr=127.0.0.1:$catalog_port \
  --config="$root/deploy/cities/nanjing.json" "${tls_args[@]:0:2}" --synthetic=2000 --threads=8
kill -TERM "$catalog_pid" && wait "$catalog_pid" 2>/dev/null || true
pids=()
names=()
rm -f "$work/catalog.ports"
export GNLC_SEARCH_CACHE_ENTRIES=0
GNLC_BENCH_RATE_LIMITS=on start catalog
rcli hkeys 'cat:{0}:programs' | head -500 |
  sed 's|.*|{"name": "cities/nanjing/programs/&"}|' >"$work/get.jsonl"
# Searches over the whole catalog, each different (the result cache is off
# in this run, so every one is computed).
for i in $(seq 1 200); do
  echo "{\"parent\": \"cities/nanjing\", \"pageSize\": $((i % 50 + 1)), \"orderBy\": \"SEARCH_ORDER_START_TIME\"}"
done >"$work/search.jsonl"
"$ctl" token --city=nanjing --role=resident --sub=flooder --ttl_seconds=7200 >"$work/flooder.token"
"$ctl" token --city=nanjing --role=resident --sub=neighbour --ttl_seconds=7200 >"$work/neighbour.token"

common=(--target=127.0.0.1:$catalog_port --method=catalog.GetProgram --requests="$work/get.jsonl"
  --ca="$pki/nanjing/tls/ca.crt" --seconds="$secs")
neighbour() {
  "$load" "${common[@]}" --token_file="$work/neighbour.token" --rate=50 --inflight=2 --label="$1" |
    grep -v '^RESULT'
}

echo "== the neighbour alone ($secs s)"
neighbour neighbour/alone
flooded() {  # flooded LABEL METHOD FILE: the neighbour while the flooder runs at 64 in flight
  "$load" "${common[@]}" --method="$2" --requests="$work/$3.jsonl" \
    --token_file="$work/flooder.token" --inflight=64 --warmup=0.5 \
    --seconds=$((secs + 2)) --label="flooder/$1" >"$work/flooder.out" &
  local flooder=$!
  neighbour "neighbour/$1"
  wait $flooder || true
  grep -v '^RESULT' "$work/flooder.out"
}
echo "== the neighbour while the flooder runs at 64 in flight, limits on ($secs s each)"
flooded limited/GetProgram catalog.GetProgram get
flooded limited/SearchPrograms catalog.SearchPrograms search
echo "(errors: code 8 is RESOURCE_EXHAUSTED; qps counts accepted calls only)"
curl -s "http://127.0.0.1:$(cut -d' ' -f2 "$work/catalog.ports")/metrics" | grep '^gnlc_rate_limited_total'

echo "== the same with limits off, for comparison ($secs s)"
kill -TERM "$catalog_pid" && wait "$catalog_pid" 2>/dev/null || true
pids=()
names=()
rm -f "$work/catalog.ports"
start catalog
common[0]=--target=127.0.0.1:$catalog_port
flooded unlimited/GetProgram catalog.GetProgram get
flooded unlimited/SearchPrograms catalog.SearchPrograms search
