#!/usr/bin/env bash
# Enrollment benchmark (issue: enrollment). A fresh Redis with AOF everysec,
# a catalog and an enrollment server; 10,000 offerings and 80,000 learners
# created through the APIs; then gnlc-load drives, at 16 and 64 in flight,
# each next to the echo ceiling measured in the same run:
#   CreateEnrollment spread over the 10,000 offerings (every request a new
#   learner-offering pair), CreateEnrollment all into one hot offering of
#   100 seats (a waitlist that grows to tens of thousands), GetOfferingSeats,
#   and ListEnrollments of a learner with 50 enrollments.
#
#   tests/bench/enrollment_bench.sh                 # 5 s per run
#   GNLC_BENCH_SECONDS=2 tests/bench/enrollment_bench.sh
#
# Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${GNLC_BUILD_DIR:-$root/build}"
secs="${GNLC_BENCH_SECONDS:-5}"
work="$(mktemp -d /tmp/gnlc-enr-bench-XXXXXX)"
load="$build/tests/gnlc-load"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
rport=26479
while ! port_free $rport; do rport=$((rport + 1)); done
redis-server --port $rport --bind 127.0.0.1 --dir "$work" --appendonly yes --appendfsync everysec \
  --save "" --daemonize yes --logfile "$work/redis.log" --pidfile "$work/redis.pid"
until redis-cli -p $rport ping >/dev/null 2>&1; do sleep 0.05; done

start() {  # start SERVICE [FLAGS...]; sets ${SERVICE}_port
  local svc="$1"
  shift
  "$build/services/$svc/gnlc-$svc" --config="$root/deploy/cities/nanjing.json" \
    --redis=127.0.0.1:$rport --port_file="$work/$svc.ports" "$@" >"$work/$svc.log" 2>&1 &
  pids+=($!)
  until [ -s "$work/$svc.ports" ]; do sleep 0.05; done
  local port
  port=$(cut -d' ' -f1 "$work/$svc.ports")
  until "$build/common/ctl/gnlcctl" --addr=127.0.0.1:$port grpc.health.v1.Health.Check '{}' 2>/dev/null \
    | grep -q '"SERVING"'; do sleep 0.05; done
  printf -v "${svc}_port" '%s' "$port"
}
start catalog
start enrollment --catalog=127.0.0.1:$catalog_port
enrollment_pid=${pids[1]}

echo "== set-up through the APIs"
"$build/tests/gnlc-enrollment-bench-setup" --catalog=127.0.0.1:$catalog_port \
  --enrollment=127.0.0.1:$enrollment_port --offerings=10000 --learners=80000 --out="$work"

echo "== runs ($secs s each after 1 s warm-up; ratio = QPS / echo QPS at the same concurrency; AOF everysec)"
redis_pid=$(cat "$work/redis.pid")
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() {  # run LABEL METHOD FILE INFLIGHT; also CPU seconds per process during it
  local before=() after=() p i
  for p in "$redis_pid" "${pids[@]}"; do before+=("$(ticks "$p")"); done
  "$load" --target=127.0.0.1:$enrollment_port --method="$2" --requests="$work/$3.jsonl" \
    --inflight="$4" --seconds="$secs" --echo --label="$1" | grep -v '^RESULT'
  for p in "$redis_pid" "${pids[@]}"; do after+=("$(ticks "$p")"); done
  local names=(redis catalog enrollment) line="    cpu s (incl. echo phase):"
  for i in 0 1 2; do line+=" ${names[$i]}=$(((${after[$i]} - ${before[$i]})))"; done
  echo "$line (1/100 s)"
}
run CreateEnrollment-spread enrollment.CreateEnrollment spread-a 16
run CreateEnrollment-spread enrollment.CreateEnrollment spread-b 64
run CreateEnrollment-hot enrollment.CreateEnrollment hot-a 16
run CreateEnrollment-hot enrollment.CreateEnrollment hot-b 64
echo "redis time per command during the CreateEnrollment runs (INFO commandstats):"
redis-cli -p $rport info commandstats | tr -d '\r' | grep -v '^#' \
  | awk -F'[:,=]' '$3 > 10000 {printf "    %-22s calls=%-9s usec_per_call=%s\n", $1, $3, $7}'
redis-cli -p $rport config resetstat >/dev/null
echo "hot offerings after the runs: $(redis-cli -p $rport keys 'enr:{0}:wl:*' | while read -r k; do
  n=$(redis-cli -p $rport zcard "$k"); [ "$n" -gt 1000 ] && printf '%s waitlisted; ' "$n"; done)"
for inflight in 16 64; do run GetOfferingSeats enrollment.GetOfferingSeats seats $inflight; done
for inflight in 16 64; do run "ListEnrollments(50)" enrollment.ListEnrollments list $inflight; done
echo "enrollment RSS: $(($(awk '/VmRSS/ {print $2}' /proc/$enrollment_pid/status) / 1024)) MiB;" \
  "redis used_memory: $(redis-cli -p $rport info memory | awk -F: '/^used_memory_human/ {print $2}' | tr -d '\r')"
