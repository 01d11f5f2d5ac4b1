#!/usr/bin/env bash
# Security benchmark (issue: security). What TLS and a verified token per
# call cost: the same catalog and enrollment binaries over one Redis, first
# as deployed (TLS on the port, a JWT verified on every call), then started
# from the same config with tls.insecure_plaintext; each run next to the echo
# ceiling over the same transport (echo over TLS for the TLS runs).
#   GetProgram:        TLS + a resident's token   vs  plaintext, anonymous
#                      (the public catalog: no TLS and no token at all);
#                      TLS, anonymous between them splits the two costs
#   CreateEnrollment:  TLS + a city_admin token   vs  plaintext + the same token
#                      (a write always needs a token, so the plaintext run
#                      still verifies one; gnlc-token-bench gives that cost)
#
#   tests/bench/security_bench.sh                 # 5 s per run
#   GNLC_BENCH_SECONDS=2 tests/bench/security_bench.sh
#
# Everything runs on 127.0.0.1 and stops by itself.
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

stop_all() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  pids=()
  names=()
  rm -f "$work"/*.ports
}

start catalog
start enrollment --catalog=127.0.0.1:$catalog_port
echo "== set-up through the APIs"
"$build/tests/gnlc-enrollment-bench-setup" --catalog=127.0.0.1:$catalog_port "${tls_args[@]:0:2}" \
  --enrollment=127.0.0.1:$enrollment_port --offerings=10000 --learners=30000 --out="$work"
sed 's|/offerings/[^"]*||; s|"offering"|"name"|' "$work/seats.jsonl" >"$work/get.jsonl"
half=$(($(wc -l <"$work/spread-a.jsonl") / 2))
head -n "$half" "$work/spread-a.jsonl" >"$work/enroll-tls-16.jsonl"
tail -n "+$((half + 1))" "$work/spread-a.jsonl" >"$work/enroll-tls-64.jsonl"
head -n "$half" "$work/spread-b.jsonl" >"$work/enroll-plain-16.jsonl"
tail -n "+$((half + 1))" "$work/spread-b.jsonl" >"$work/enroll-plain-64.jsonl"
"$ctl" token --city=nanjing --role=resident --sub=bench-resident --ttl_seconds=7200 >"$work/resident.token"

echo "== TLS and a token verified per call ($secs s each after 1 s warm-up; echo over TLS)"
for inflight in 16 64; do
  run $catalog_port GetProgram/tls+resident catalog.GetProgram get $inflight \
    --token_file="$work/resident.token"
  run $catalog_port GetProgram/tls+anonymous catalog.GetProgram get $inflight --token_file=/dev/null
done
for inflight in 16 64; do
  run $enrollment_port CreateEnrollment/tls+admin enrollment.CreateEnrollment "enroll-tls-$inflight" $inflight
done

stop_all
sed 's|^  "tls": .*$|  "tls": {"insecurePlaintext": true},|' "$root/deploy/cities/nanjing.json" \
  >"$work/nanjing-plaintext.json"
grep -q '"insecurePlaintext": true' "$work/nanjing-plaintext.json" || { echo "no plaintext config"; exit 1; }
export GNLC_BENCH_CONFIG="$work/nanjing-plaintext.json"
tls_args=(--token_file="$work/admin.token")  # no --ca: plaintext, echo plaintext too
ctl_plain() { "$ctl" --plaintext "$@"; }
start_plain() {  # like start, but health over plaintext
  local svc="$1"
  shift
  "$build/services/$svc/gnlc-$svc" --config="$GNLC_BENCH_CONFIG" --secrets_dir="$pki/nanjing" \
    --redis=127.0.0.1:$rport --port_file="$work/$svc.ports" --rate_limits=off "$@" \
    >"$work/$svc.log" 2>&1 &
  pids+=($!)
  names+=("$svc")
  local pid=$!
  until [ -s "$work/$svc.ports" ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/$svc.log"; exit 1; }
    sleep 0.05
  done
  local port
  port=$(cut -d' ' -f1 "$work/$svc.ports")
  until ctl_plain --addr=127.0.0.1:$port grpc.health.v1.Health.Check '{}' 2>/dev/null \
    | grep -q '"SERVING"'; do sleep 0.05; done
  printf -v "${svc}_port" '%s' "$port"
}
start_plain catalog
start_plain enrollment --catalog=127.0.0.1:$catalog_port
echo "== plaintext (tls.insecure_plaintext; echo plaintext)"
for inflight in 16 64; do
  run $catalog_port GetProgram/plain+anonymous catalog.GetProgram get $inflight --token_file=/dev/null
done
for inflight in 16 64; do
  run $enrollment_port CreateEnrollment/plain+admin enrollment.CreateEnrollment "enroll-plain-$inflight" $inflight
done
echo "== token verification alone (one core)"
"$build/tests/gnlc-token-bench" --benchmark_min_time=0.5 2>/dev/null | grep -E '^BM_|^Benchmark'
