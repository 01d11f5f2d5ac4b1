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
#   a resident mix:    searches, program reads, offering reads (the catalog's
#                      GetOffering), seat reads, enrollments and lists of a
#                      learner's enrollments, all at once from one client
#                      process each (at most 28 in flight in all); reads with a
#                      resident's token over TLS vs anonymous in plaintext,
#                      the enrollment service's calls with the staff token both
#                      ways. 5,000 calls a second in fixed proportions (paced);
#                      the CPU per call of Redis, each server and the clients;
#                      GNLC_BENCH_PERF=1 also profiles the servers (perf).
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
# Each run enrolls pairs no other run uses: 40%, 45% and 15% of a spread file.
lines=$(wc -l <"$work/spread-a.jsonl")
a=$((lines * 40 / 100)) b=$((lines * 85 / 100))
for t in a:tls b:plain; do
  sed -n "1,${a}p" "$work/spread-${t%:*}.jsonl" >"$work/enroll-${t#*:}-16.jsonl"
  sed -n "$((a + 1)),${b}p" "$work/spread-${t%:*}.jsonl" >"$work/enroll-${t#*:}-64.jsonl"
  sed -n "$((b + 1)),\$p" "$work/spread-${t%:*}.jsonl" >"$work/enroll-mix-${t#*:}.jsonl"
done
"$ctl" token --city=nanjing --role=resident --sub=bench-resident --ttl_seconds=7200 >"$work/resident.token"
# The mix's own requests: a search for one course (its number) and, one in
# ten, for every course ("course", counted and faceted in full); a learner's
# enrollments; offerings by name.
for i in $(seq 1 2000); do
  if [ $((i % 10)) = 0 ]; then q=course; else q="course $((i * 7 % 10000))"; fi
  echo "{\"parent\":\"cities/nanjing\",\"query\":\"$q\",\"page_size\":20}"
done >"$work/search.jsonl"
grep -o '"learner":"[^"]*"' "$work/spread-a.jsonl" | sort -u |
  sed -n '1,5000s|.*|{&,"page_size":50}|p' >"$work/learner-list.jsonl"
sed 's|"offering"|"name"|' "$work/seats.jsonl" >"$work/offering.jsonl"

# CPU seconds the shell's finished children used (user + system): `times`.
# into $cpu (`times` in this shell: in a pipeline or $(...) it would be a
# subshell's, which has no finished children).
children_cpu() {
  times >"$work/times"
  cpu=$(tail -n 1 "$work/times" | tr 'ms' '  ' | awk '{print $1 * 60 + $2 + $3 * 60 + $4}')
}
# mix LABEL READ_TOKEN ENROLL_FILE [gnlc-load flags]: every part at once, no
# echo phase; prints each part, the sum of calls per second, and the CPU
# per call of each server and of the six clients.
mix() {
  local label="$1" read_token="$2" enroll="$3" part total=0 outs=() before=() after=() p
  shift 3
  for p in "$redis_pid" "${pids[@]}"; do before+=("$(ticks "$p")"); done
  children_cpu
  local clients_before="$cpu"
  # PORT METHOD FILE IN_FLIGHT CALLS_PER_S TOKEN: paced (--rate), so that TLS
  # and plaintext do the same calls in the same proportions, below what the
  # machine can do; what differs is the CPU they cost.
  local parts=(
    "$catalog_port catalog.SearchPrograms search 6 1200 $read_token"
    "$catalog_port catalog.GetProgram get 5 1000 $read_token"
    "$catalog_port catalog.GetOffering offering 5 1000 $read_token"
    "$enrollment_port enrollment.GetOfferingSeats seats 4 600 $work/admin.token"
    "$enrollment_port enrollment.CreateEnrollment $enroll 4 600 $work/admin.token"
    "$enrollment_port enrollment.ListEnrollments learner-list 4 600 $work/admin.token"
  )
  local i=0
  for part in "${parts[@]}"; do
    read -r port method file inflight rate token <<<"$part"
    "$load" --target=127.0.0.1:$port --method="$method" --requests="$work/$file.jsonl" \
      --inflight="$inflight" --rate="$rate" --seconds="$secs" --label="$label/${method#*.}" \
      "${tls_args[@]}" "$@" --token_file="$token" >"$work/mix-$i.out" &
    outs+=($!)
    i=$((i + 1))
  done
  if [ -n "${GNLC_BENCH_PERF:-}" ]; then  # where each server's CPU goes, by library
    sleep 1
    for i in "${!names[@]}"; do
      perf record -q -F 999 -g -o "$work/perf-${names[$i]}.data" -p "${pids[$i]}" \
        -- sleep "$((secs - 1))" >/dev/null 2>&1 &
      outs+=($!)
    done
  fi
  for p in "${outs[@]}"; do wait "$p"; done
  for p in "$redis_pid" "${pids[@]}"; do after+=("$(ticks "$p")"); done
  if [ -n "${GNLC_BENCH_PERF:-}" ]; then
    for svc in "${names[@]}"; do
      echo "  $label: $svc's samples by library (perf, $work while the run lasts)"
      perf report -q -i "$work/perf-$svc.data" --no-children --sort dso -g none 2>/dev/null |
        sed -n '1,8s/^/    /p'
    done
  fi
  for ((i = 0; i < ${#parts[@]}; i++)); do
    grep -v '^RESULT' "$work/mix-$i.out"
    total=$((total + $(grep -o '^RESULT.* qps=[0-9]*' "$work/mix-$i.out" | grep -o '[0-9]*$')))
  done
  # Calls over the run and its 1 s warm-up, as run() counts them.
  local calls=$((total * (secs + 1))) all=(redis "${names[@]}") per=""
  for i in "${!all[@]}"; do
    per+=" ${all[$i]}=$(((${after[$i]} - ${before[$i]}) * 10000 / calls))"
  done
  children_cpu
  per+=" clients=$(awk -v a="$clients_before" -v b="$cpu" -v n="$calls" \
    'BEGIN { printf "%d", (b - a) * 1e6 / n }')"
  local servers=0
  for i in "${!all[@]}"; do servers=$((servers + ${after[$i]} - ${before[$i]})); done
  echo "MIX $label: $total calls/s in all; cpu µs per call:$per; Redis and servers together" \
    "$((servers * 10000 / calls))"
}

echo "== TLS and a token verified per call ($secs s each after 1 s warm-up; echo over TLS)"
for inflight in 16 64; do
  run $catalog_port GetProgram/tls+resident catalog.GetProgram get $inflight \
    --token_file="$work/resident.token"
  run $catalog_port GetProgram/tls+anonymous catalog.GetProgram get $inflight --token_file=/dev/null
done
for inflight in 16 64; do
  run $enrollment_port CreateEnrollment/tls+admin enrollment.CreateEnrollment "enroll-tls-$inflight" $inflight
done
mix tls+tokens "$work/resident.token" enroll-mix-tls

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
mix plain /dev/null enroll-mix-plain
echo "== token verification alone (one core)"
"$build/tests/gnlc-token-bench" --benchmark_min_time=0.5 2>/dev/null | grep -E '^BM_|^Benchmark'
