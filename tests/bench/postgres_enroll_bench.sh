#!/usr/bin/env bash
# CreateEnrollment's rules on PostgreSQL 15, for the comparison in
# BENCHMARKS.md (issue: residents first): the same work as
# tests/bench/enrollment_bench.sh on the same machine, as one PL/pgSQL
# function (tests/bench/postgres/enroll.sql) called by pgbench with
# prepared statements over TLS.
#
#   tests/bench/postgres_enroll_bench.sh            # 5 s per run, as enrollment_bench.sh
#   GNLC_BENCH_SECONDS=2 tests/bench/postgres_enroll_bench.sh
#
# The server is tuned for this work as a PostgreSQL expert would tune it on a
# 2-core machine with 24 GiB: shared buffers that hold everything, no JIT
# for short statements, checkpoints far apart, and synchronous_commit=off,
# which loses at most the last ~0.6 s on a crash, as gnlc's AOF everysec
# loses at most the last second (the like-for-like durability).
# Set-up as gnlc's bench: 10,000 offerings of 30 seats, two hot ones of 100,
# 80,000 learners; the runs: spread (a random learner into a random offering)
# and hot (everyone into one offering: a waitlist that grows), at 16 and 64
# in flight. Prints TPS, p50/p99 from pgbench's per-transaction log and the
# CPU per call of PostgreSQL (every backend) and of pgbench.
#
# Everything runs on 127.0.0.1 as the postgres user and stops by itself.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
secs="${GNLC_BENCH_SECONDS:-5}"
source "$root/tests/bench/bench_postgres.sh"
start_postgres

echo "== set-up: $(as_pg "$bin/postgres" --version), 10,002 offerings, 80,000 learners"
psql -f "$root/tests/bench/postgres/enroll.sql" >/dev/null
psql -c "CALL set_up(10000, 80000)" -c "VACUUM ANALYZE"

# An enrollment record the size of gnlc's (a serialized Enrollment: ~200 bytes).
record="\\x$(head -c 200 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat >"$pg_work/spread.pgbench" <<EOF
\\set l random(1, 80000)
\\set o random(1, 10000)
SELECT status FROM enroll('learner-' || :l, 'offering-' || :o, '', '', '$record');
EOF
cat >"$pg_work/hot.pgbench" <<EOF
\\set l random(1, 80000)
\\set h random(10001, 10002)
SELECT status FROM enroll('learner-' || :l, 'offering-' || :h, '', '', '$record');
EOF
chown postgres: "$pg_work"/*.pgbench

echo "== runs ($secs s each after 1 s warm-up; PostgreSQL with TLS, scram, synchronous_commit=off)"
run() { pg_run "$1" "$pg_work/$2.pgbench" "$3" "$secs"; }
run spread spread 16
run spread spread 64
run hot hot 16
run hot hot 64
psql -At -c "SELECT 'outcomes: ' || string_agg(state || '=' || n, ' ') FROM
  (SELECT CASE state WHEN 1 THEN 'confirmed' ELSE 'waitlisted' END AS state, count(*) AS n
   FROM enrollments GROUP BY 1 ORDER BY 1) s" \
  -c "SELECT 'outbox events: ' || count(*) FROM outbox" \
  -c "SELECT 'bytes per stored record: ' || max(length(record)) FROM enrollments"
