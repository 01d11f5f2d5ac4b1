#!/usr/bin/env bash
# Partnership benchmark (issue: partnership). A fresh Redis with AOF
# everysec, a catalog and a partnership server; 10,000 partners and 5,000
# active partnerships (every fifth with a member of another city, each with
# a CNY commitment) created through the API; then gnlc-load drives, at 16
# and 64 in flight, each next to the echo ceiling measured in the same run:
# GetPartnership, ListPartnerships filtered by model and member city (pages
# of 20), and RecordDisbursement of 1 CNY.
#
#   tests/bench/partnership_bench.sh             # 5 s per run
#   GNLC_BENCH_SECONDS=2 tests/bench/partnership_bench.sh
#
# Everything runs on 127.0.0.1 and stops by itself.
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

start catalog
start partnership --catalog=127.0.0.1:$catalog_port

echo "== set-up through the API"
"$build/tests/gnlc-partnership-bench-setup" --partnership=127.0.0.1:$partnership_port "${tls_args[@]:0:2}" \
  --partners=10000 --partnerships=5000 --out="$work"

echo "== runs ($secs s each after 1 s warm-up; ratio = QPS / echo QPS at the same concurrency; AOF everysec)"
for inflight in 16 64; do run $partnership_port GetPartnership partnership.GetPartnership get $inflight; done
for inflight in 16 64; do
  run $partnership_port "ListPartnerships(model+city)" partnership.ListPartnerships list $inflight
done
for inflight in 16 64; do
  run $partnership_port RecordDisbursement partnership.RecordDisbursement disburse $inflight
done
echo "partnership RSS: $(($(awk '/VmRSS/ {print $2}' /proc/$partnership_pid/status) / 1024)) MiB;" \
  "redis used_memory: $(rcli info memory | awk -F: '/^used_memory_human/ {print $2}' | tr -d '\r')"
