#!/usr/bin/env bash
# Residents first: what a city's residents see of Redis while a history
# import runs. A catalog, an enrollment and an analytics server (TLS, tokens,
# Redis users, AOF everysec); residents enroll (CreateEnrollment, each a new
# learner-offering pair) and read seats (GetOfferingSeats) at a steady rate,
# 4 calls in flight each, from start to end of one run; after a quiet phase
# `gnlcctl import` loads the files `gnlc-demo-history` writes (60,000
# enrollment rows with fresh ids, their learners, programs and offerings),
# then analytics catches up, then another quiet phase. The residents'
# latencies are split at those moments: before, during (import and catch-up,
# the whole cost of the import) and after, side by side. Also: Redis
# commands slower than 5 ms during the run (SLOWLOG), and the import's rows/s.
#
#   tests/bench/import_load_bench.sh                                  # 60,000 rows
#   GNLC_BENCH_ENROLLMENTS=20000 GNLC_BENCH_PHASE_SECONDS=8 tests/bench/import_load_bench.sh
#   GNLC_BENCH_RATE=600 tests/bench/import_load_bench.sh              # calls/s of each kind
#   GNLC_BENCH_RESIDENTS=off tests/bench/import_load_bench.sh         # the import alone
#
# Everything runs on 127.0.0.1 and stops by itself.
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
enrollments="${GNLC_BENCH_ENROLLMENTS:-60000}"
phase="${GNLC_BENCH_PHASE_SECONDS:-15}"
rate="${GNLC_BENCH_RATE:-400}"

start catalog
start enrollment --catalog=127.0.0.1:$catalog_port
start analytics --catalog=127.0.0.1:$catalog_port
cities=(nanjing)
services=(catalog enrollment analytics)
address_of() { local p="${2}_port"; echo "127.0.0.1:${!p}"; }
source "$root/deploy/launcher_lib.sh"
write_network_json "$work/network.json" address_of

echo "== set-up: residents' offerings and learners through the APIs, the history files"
"$build/tests/gnlc-enrollment-bench-setup" --catalog=127.0.0.1:$catalog_port "${tls_args[@]:0:2}" \
  --enrollment=127.0.0.1:$enrollment_port --offerings=2000 --learners=40000 --out="$work"
data="$work/history"
"$build/tools/demo/gnlc-demo-history" --config="$root/deploy/cities/nanjing.json" \
  --out="$data" --enrollments="$enrollments" --learners=$((enrollments / 4)) --id_prefix=R >/dev/null
caught_up() {
  curl -s "http://127.0.0.1:$(cut -d' ' -f2 "$work/analytics.ports")/metrics" |
    grep -E '^gnlc_analytics_consumer_(lag|pending)\{' | awk '{s += $2} END {exit s != 0}'
}
for _ in $(seq 600); do caught_up && break; sleep 0.1; done # the set-up's events: bounded, 60 s

rcli config set slowlog-log-slower-than 5000 >/dev/null
rcli config set slowlog-max-len 100000 >/dev/null
rcli slowlog reset >/dev/null
rcli config resetstat >/dev/null
now_ms() { date +%s%3N; }

residents=()
if [ "${GNLC_BENCH_RESIDENTS:-on}" != off ]; then
  for kind in enroll seats; do
    if [ $kind = enroll ]; then m=enrollment.CreateEnrollment f=spread-a; else m=enrollment.GetOfferingSeats f=seats; fi
    "$load" --target=127.0.0.1:$enrollment_port --method=$m --requests="$work/$f.jsonl" \
      --inflight=4 --rate="$rate" --seconds=590 --warmup=1 --label=$kind \
      --until_file="$work/stop" --timeline="$work/$kind.timeline" "${tls_args[@]:0:2}" \
      >"$work/$kind.out" 2>&1 &
    residents+=($!)
  done
fi
sleep 1 # the residents' warm-up
t_start=$(now_ms)
sleep "$phase"
t_import=$(now_ms)
status=0
"$ctl" --network="$work/network.json" --city=nanjing import "$data" 2>"$work/import.log" || status=$?
t_imported=$(now_ms)
[ "$status" = 0 ] || { echo "import failed (exit $status)"; tr "\r" "\n" <"$work/import.log" | grep -v "%)" | head -20; exit 1; }
for _ in $(seq 6000); do caught_up && break; sleep 0.1; done # bounded: 10 min
t_caught=$(now_ms)
sleep "$phase"
t_end=$(now_ms)
touch "$work/stop"
for p in "${residents[@]}"; do wait "$p" || { cat "$work"/*.out; exit 1; }; done

echo "== the import"
tr '\r' '\n' <"$work/import.log" | grep -E 'rows in' | sed 's/^/  /'
printf '  import %.1f s, analytics caught up %.1f s after it\n' \
  "$(echo "($t_imported - $t_import) / 1000" | bc -l)" "$(echo "($t_caught - $t_imported) / 1000" | bc -l)"

if [ ${#residents[@]} -gt 0 ]; then
  echo "== residents' calls (ms; $rate calls/s of each kind, 4 in flight each)"
  printf '  %-7s %-6s %9s %8s %8s %8s %8s %8s\n' call phase calls qps p50 p90 p99 max
  for kind in enroll seats; do
    for ph in before during after; do
      case $ph in
        before) from=$t_start to=$t_import ;;
        during) from=$t_import to=$t_caught ;;
        after) from=$t_caught to=$t_end ;;
      esac
      awk -v a="$from" -v b="$to" '$1 >= a && $1 < b && $3 == 0 {print $2}' "$work/$kind.timeline" |
        sort -n | awk -v k=$kind -v p=$ph -v secs="$(echo "($to - $from) / 1000" | bc -l)" '
          {v[NR] = $1}
          END {
            if (NR == 0) { printf "  %-7s %-6s %9d\n", k, p, 0; exit }
            printf "  %-7s %-6s %9d %8.0f %8.2f %8.2f %8.2f %8.2f\n", k, p, NR, NR / secs,
              v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.9) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000, v[NR] / 1000
          }'
    done
    errors=$(awk '$3 != 0' "$work/$kind.timeline" | wc -l)
    echo "  $kind errors: $errors"
  done
fi

echo "== Redis commands over 5 ms during the run (SLOWLOG), by command"
# (scripts by their first key, e.g. "EVALSHA enr:{0}:events": whose script;
# the SHA-1's first 8 digits tell two scripts of one service apart)
rcli -2 --json slowlog get 100000 | tr -d '\n ' |
  grep -oE '\[[0-9]+,[0-9]+,[0-9]+,\["[A-Za-z_]+"(,"[0-9a-f]{8}[0-9a-f]*","[0-9]+","[^"]*")?' |
  sed -E 's/"([0-9a-f]{8})[0-9a-f]*","[0-9]+",/\1,/' | tr -d '["' |
  awk -F, '{c = $4 ($5 != "" ? " " $5 " " $6 : ""); n[c]++; if ($3 > m[c]) m[c] = $3}
    END {if (length(n) == 0) print "  none"; for (c in n) printf "  %-40s %6d over 5 ms, longest %.1f ms\n", c, n[c], m[c] / 1000}'
echo "== Redis time per script call over the run (INFO latencystats)"
rcli info latencystats | tr -d '\r' | grep -E 'evalsha(_ro)?:' | sed 's/^/  /'
