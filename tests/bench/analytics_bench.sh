#!/usr/bin/env bash
# Analytics benchmark (issue: analytics). A fresh Redis with AOF everysec
# holding one million enrollment events (gnlc-analytics-bench-events: 100,000
# learners in 11 districts over 2026) before analytics starts; then:
#   ingestion: events applied per second, from start until the group has
#              read and acknowledged every entry (start-up included);
#   GetScorecard (year 2026) and GetIndicatorSeries (36 months) at 16 and
#   64 in flight, each next to the echo ceiling measured in the same run.
#
#   tests/bench/analytics_bench.sh                 # 5 s per run
#   GNLC_BENCH_EVENTS=200000 GNLC_BENCH_SECONDS=2 tests/bench/analytics_bench.sh
#
# Everything runs on 127.0.0.1 and stops by itself.
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
events="${GNLC_BENCH_EVENTS:-1000000}"

echo "== $events enrollment events into enr:{0}:events"
"$build/tests/gnlc-analytics-bench-events" --count="$events" --learners=100000 |
  rcli --pipe | tail -1

caught_up() {
  local info
  info=$(rcli xinfo groups 'enr:{0}:events' 2>/dev/null | tr '\n' ' ')
  [[ "$info" =~ pending\ 0\ .*lag\ 0 ]]
}
echo "== ingestion"
t0=$(date +%s.%N)
start analytics
for _ in $(seq 6000); do caught_up && break; sleep 0.05; done  # bounded: 5 min
caught_up || { echo "analytics did not catch up"; exit 1; }
t1=$(date +%s.%N)
awk -v n="$events" -v a="$t0" -v b="$t1" \
  'BEGIN { printf "ingestion: %d events in %.2f s = %.0f events/s (start-up included)\n", n, b - a, n / (b - a) }'
echo "analytics RSS: $(($(awk '/VmRSS/ {print $2}' /proc/$analytics_pid/status) / 1024)) MiB;" \
  "redis used_memory: $(rcli info memory | awk -F: '/^used_memory_human/ {print $2}' | tr -d '\r')"

echo '{"parent":"cities/nanjing","period":{"kind":"PERIOD_KIND_YEAR","year":2026}}' >"$work/scorecard.jsonl"
echo '{"parent":"cities/nanjing","indicator":"INDICATOR_PARTICIPATION_RATE","from_period":{"kind":"PERIOD_KIND_MONTH","year":2024,"index":1},"to_period":{"kind":"PERIOD_KIND_MONTH","year":2026,"index":12}}' >"$work/series.jsonl"
echo "== runs ($secs s each after 1 s warm-up; ratio = QPS / echo QPS at the same concurrency)"
for inflight in 16 64; do run $analytics_port GetScorecard analytics.GetScorecard scorecard $inflight; done
for inflight in 16 64; do
  run $analytics_port "GetIndicatorSeries(36 months)" analytics.GetIndicatorSeries series $inflight
done
