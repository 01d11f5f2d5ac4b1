#!/usr/bin/env bash
# Flood benchmark (issue: insiders and floods). A resident reads their own
# learner record (enrollment GetLearner: a token verified once and then
# remembered, a handler thread, a Redis read) at a normal pace, 100 calls a
# second with 2 in flight: first in a quiet city, then while two clients
# flood the same enrollment replica as fast as 64 calls in flight each
# allow, every call with a new forged token (the real issuer's key id, a
# random signature: only checking it finds it out, and no cache knows it).
# Reported side by side: the resident's p50/p99 quiet, flooded with the
# per-source gate (rate_limits.auth_failures, the default 10 a second,
# burst 20), and flooded without it (the gate set to 10^9 a second: every
# forged token's signature checked, as before the gate); and how the
# forgers were answered. Everything shares the 2 cores: the forgers'
# clients too.
#
#   tests/bench/flood_bench.sh               # 10 s per phase
#   GNLC_BENCH_SECONDS=5 tests/bench/flood_bench.sh
#
# Everything runs on 127.0.0.1 and stops by itself.
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
secs="${GNLC_BENCH_SECONDS:-10}"

GNLC_BENCH_RATE_LIMITS=on start catalog
GNLC_BENCH_RATE_LIMITS=on start enrollment --catalog=127.0.0.1:$catalog_port
"$ctl" token --city=nanjing --role=resident --sub=bench-resident --ttl_seconds=7200 >"$work/resident.token"
learner=$("$ctl" --addr=127.0.0.1:$enrollment_port --token="$(cat "$work/resident.token")" \
  enrollment.CreateLearner \
  '{"parent":"cities/nanjing","learner":{"district":"gulou","ageBand":"AGE_BAND_ADULT"}}' |
  grep -o '"cities/nanjing/learners/[^"]*"' | head -1)
[ -n "$learner" ] || { echo "no learner created"; exit 1; }
echo "{\"name\": $learner}" >"$work/get.jsonl"
# The forgers' token: a real one of another resident, whose signature each
# call replaces.
"$ctl" token --city=nanjing --role=resident --sub=mallory --ttl_seconds=7200 >"$work/forger.token"

common=(--method=enrollment.GetLearner --requests="$work/get.jsonl" --ca="$pki/nanjing/tls/ca.crt")
resident() {  # resident LABEL
  "$load" "${common[@]}" --target=127.0.0.1:$enrollment_port --token_file="$work/resident.token" \
    --rate=100 --inflight=2 --seconds="$secs" --label="$1" | grep -v '^RESULT'
}
flooded() {  # flooded LABEL: the resident while two forgers run at 64 in flight each
  local forgers=()
  for f in 1 2; do
    "$load" "${common[@]}" --target=127.0.0.1:$enrollment_port --token_file="$work/forger.token" \
      --forge_tokens --inflight=64 --warmup=0.5 --seconds=$((secs + 2)) \
      --label="forger$f/$1" >"$work/forger$f.out" &
    forgers+=($!)
  done
  sleep 0.5  # the forgers are at full speed before the resident starts
  resident "resident/$1"
  for p in "${forgers[@]}"; do wait "$p" || true; done  # no call of theirs succeeds
  for f in 1 2; do
    grep -v '^RESULT' "$work/forger$f.out" | sed 's/qps=[0-9]* *//'
    # Calls answered per second, whatever the answer (16 = UNAUTHENTICATED,
    # 8 = RESOURCE_EXHAUSTED).
    grep -o 'errors=[0-9:,]*' "$work/forger$f.out" | head -1 |
      awk -F'[=:,]' -v s=$((secs + 2)) '{n=0; for (i=3;i<=NF;i+=2) n+=$i; printf "    forger answered %.0f calls/s\n", n/s}'
  done
}

echo "== the resident in a quiet city ($secs s)"
resident resident/quiet
echo "== flooded, with the per-source gate (the default)"
flooded gate
echo "    enrollment: $(curl -s "http://127.0.0.1:$(cut -d' ' -f2 "$work/enrollment.ports")/metrics" |
  grep -E '^gnlc_auth_failed_total|^gnlc_rate_limited_total\{class="auth_failures"' | tr '\n' ' ')"

echo "== flooded, without the gate (every forged signature checked)"
kill -TERM "$enrollment_pid" && wait "$enrollment_pid" 2>/dev/null || true
sed '1s|^{|{"rateLimits": {"authFailures": {"perSecond": 1e9, "burst": 1e9}},|' \
  "$root/deploy/cities/nanjing.json" >"$work/nanjing-nogate.json"
GNLC_BENCH_CONFIG="$work/nanjing-nogate.json" GNLC_BENCH_RATE_LIMITS=on \
  start enrollment --catalog=127.0.0.1:$catalog_port
flooded nogate
