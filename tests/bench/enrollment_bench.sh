#!/usr/bin/env bash
# Enrollment benchmark (issue: enrollment). A fresh Redis with AOF everysec,
# a catalog and an enrollment server; 10,000 offerings and 80,000 learners
# created through the APIs; then gnlc-load drives, at 16 and 64 in flight,
# each next to the echo ceiling measured in the same run:
#   CreateEnrollment spread over the 10,000 offerings (every request a new
#   learner-offering pair), CreateEnrollment all into one hot offering of
#   100 seats (a waitlist that grows to tens of thousands), GetOfferingSeats,
#   ListEnrollments of a learner with 50 enrollments, and a resident reading
#   their own learner and enrollment (GetLearner, GetEnrollment with the
#   learner's own token: the access check's reads count).
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

# A resident's own records, read with their own token.
"$ctl" token --city=nanjing --role=resident --sub=bench-resident --ttl_seconds=7200 >"$work/resident.token"
as_resident=(--addr=127.0.0.1:$enrollment_port --ca="$pki/nanjing/tls/ca.crt"
  --token_file="$work/resident.token")
field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
learner=$("$ctl" "${as_resident[@]}" enrollment.CreateLearner '{"parent":"cities/nanjing","learner":
  {"external_subject":"bench-resident","district":"gulou","age_band":"AGE_BAND_ADULT"}}' \
  | field '["learner"]["name"]')
offering=$(head -1 "$work/spread-b.jsonl" | field '["offering"]')
enrollment=$("$ctl" "${as_resident[@]}" enrollment.CreateEnrollment \
  "{\"parent\":\"cities/nanjing\",\"learner\":\"$learner\",\"offering\":\"$offering\"}" \
  | field '["enrollment"]["name"]')
echo "{\"name\":\"$learner\"}" >"$work/own-learner.jsonl"
echo "{\"name\":\"$enrollment\"}" >"$work/own-enrollment.jsonl"
rcli config resetstat >/dev/null
for inflight in 16 64; do
  run $enrollment_port "GetLearner(own)" enrollment.GetLearner own-learner $inflight \
    --token_file="$work/resident.token"
done
for inflight in 16 64; do
  run $enrollment_port "GetEnrollment(own)" enrollment.GetEnrollment own-enrollment $inflight \
    --token_file="$work/resident.token"
done
echo "redis commands per call in the own-record runs (INFO commandstats):"
rcli info commandstats | tr -d '\r' | grep -v '^#' \
  | awk -F'[:,=]' '$3 > 10000 {printf "    %-22s calls=%s\n", $1, $3}'
echo "enrollment RSS: $(($(awk '/VmRSS/ {print $2}' /proc/$enrollment_pid/status) / 1024)) MiB;" \
  "redis used_memory: $(rcli info memory | awk -F: '/^used_memory_human/ {print $2}' | tr -d '\r')"
