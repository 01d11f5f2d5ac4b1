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
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

start catalog
start enrollment --catalog=127.0.0.1:$catalog_port

echo "== set-up through the APIs"
"$build/tests/gnlc-enrollment-bench-setup" --catalog=127.0.0.1:$catalog_port "${tls_args[@]:0:2}" \
  --enrollment=127.0.0.1:$enrollment_port --offerings=10000 --learners=80000 --out="$work"

echo "== runs ($secs s each after 1 s warm-up; ratio = QPS / echo QPS at the same concurrency; AOF everysec)"
rcli config resetstat >/dev/null  # the commandstats below are the runs' alone, not the set-up's
run $enrollment_port CreateEnrollment-spread enrollment.CreateEnrollment spread-a 16
run $enrollment_port CreateEnrollment-spread enrollment.CreateEnrollment spread-b 64
run $enrollment_port CreateEnrollment-hot enrollment.CreateEnrollment hot-a 16
run $enrollment_port CreateEnrollment-hot enrollment.CreateEnrollment hot-b 64
echo "redis time per command during the CreateEnrollment runs (INFO commandstats):"
rcli info commandstats | tr -d '\r' | grep -v '^#' \
  | awk -F'[:,=]' '$3 > 10000 {printf "    %-22s calls=%-9s usec_per_call=%s\n", $1, $3, $7}'
rcli config resetstat >/dev/null
echo "hot offerings after the runs: $(rcli --scan --pattern 'enr:{0}:wl:*' | while read -r k; do
  n=$(rcli zcard "$k"); [ "$n" -gt 1000 ] && printf '%s waitlisted; ' "$n"; done)"
for inflight in 16 64; do run $enrollment_port GetOfferingSeats enrollment.GetOfferingSeats seats $inflight; done
for inflight in 16 64; do run $enrollment_port "ListEnrollments(50)" enrollment.ListEnrollments list $inflight; done
echo "enrollment RSS: $(($(awk '/VmRSS/ {print $2}' /proc/$enrollment_pid/status) / 1024)) MiB;" \
  "redis used_memory: $(rcli info memory | awk -F: '/^used_memory_human/ {print $2}' | tr -d '\r')"
