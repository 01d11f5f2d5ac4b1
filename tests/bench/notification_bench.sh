#!/usr/bin/env bash
# Notifications benchmark: a catalog and an enrollment server (TLS, tokens,
# Redis users, AOF everysec as in production); enrollments and staff
# cancellations paced at a rate, received by 1 and by 4 partitioned streams
# of one mobile backend; notifications per second and delivery lag.
#
#   tests/bench/notification_bench.sh                 # 10 s per run
#   GNLC_BENCH_SECONDS=5 GNLC_BENCH_RATES="1000 2000" tests/bench/notification_bench.sh
#
# Everything runs on 127.0.0.1 and stops by itself.
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
secs="${GNLC_BENCH_SECONDS:-10}"
rates="${GNLC_BENCH_RATES:-1000 2000}"

"$ctl" token --city=nanjing --role=mobile_backend --sub=bench-app --ttl_seconds=7200 \
  >"$work/backend.token"
for subscribers in 1 4; do
  for rate in $rates; do
    # A fresh server pair per run, so no run inherits another's backlog.
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
    pids=()
    rm -f "$work"/*.ports
    rcli flushall >/dev/null
    start catalog
    start enrollment --catalog=127.0.0.1:$catalog_port
    before=$(ticks "$enrollment_pid") rbefore=$(ticks "$redis_pid")
    "$build/tests/gnlc-notification-bench" --catalog=127.0.0.1:$catalog_port \
      --enrollment=127.0.0.1:$enrollment_port --ca="$pki/nanjing/tls/ca.crt" \
      --token_file="$work/admin.token" --backend_token_file="$work/backend.token" \
      --rate="$rate" --seconds="$secs" --subscribers="$subscribers"
    echo "    cpu (set-up included): enrollment $(( ($(ticks "$enrollment_pid") - before) ))" \
      "ticks, redis $(( ($(ticks "$redis_pid") - rbefore) )) ticks;" \
      "enrollment RSS $(($(awk '/VmRSS/ {print $2}' /proc/$enrollment_pid/status) / 1024)) MiB"
  done
done
