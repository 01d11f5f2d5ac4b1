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
bin=/usr/lib/postgresql/15/bin
if [ ! -x "$bin/postgres" ] || [ ! -x /usr/bin/time ]; then
  [ "$(id -u)" = 0 ] || { echo "needs postgresql-15 and time installed (run as root)"; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 time >/dev/null
fi

work="$(mktemp -d /tmp/gnlc-pg-bench-XXXXXX)"
chown postgres: "$work"
as_pg() { runuser -u postgres -- "$@"; }
cleanup() {
  as_pg "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
echo "$password" >"$work/pw"
chown postgres: "$work/pw"
as_pg "$bin/initdb" -D "$work/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  --pwfile="$work/pw" >/dev/null
# TLS as gnlc's calls have it: a certificate for 127.0.0.1 (ECDSA P-256, as
# the development PKI's).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -keyout "$work/data/server.key" -out "$work/data/server.crt" 2>/dev/null
chown postgres: "$work/data/server.key" "$work/data/server.crt"
chmod 600 "$work/data/server.key"
echo "hostssl all all 127.0.0.1/32 scram-sha-256" >"$work/data/pg_hba.conf"
echo "local all postgres trust" >>"$work/data/pg_hba.conf"
cat >>"$work/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$work'
ssl = on
max_connections = 100
shared_buffers = 2GB
effective_cache_size = 16GB
work_mem = 16MB
wal_buffers = 64MB
max_wal_size = 16GB
checkpoint_timeout = 30min
synchronous_commit = off
jit = off
EOF
as_pg "$bin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w start >/dev/null
postmaster=$(head -1 "$work/data/postmaster.pid")
psql() { as_pg "$bin/psql" -h "$work" -p "$port" -U postgres -q -v ON_ERROR_STOP=1 "$@"; }

echo "== set-up: $(as_pg "$bin/postgres" --version), 10,002 offerings, 80,000 learners"
psql -f "$root/tests/bench/postgres/enroll.sql" >/dev/null
psql -c "CALL set_up(10000, 80000)" -c "VACUUM ANALYZE"

# An enrollment record the size of gnlc's (a serialized Enrollment: ~200 bytes).
record="\\x$(head -c 200 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat >"$work/spread.pgbench" <<EOF
\\set l random(1, 80000)
\\set o random(1, 10000)
SELECT status FROM enroll('learner-' || :l, 'offering-' || :o, '', '', '$record');
EOF
cat >"$work/hot.pgbench" <<EOF
\\set l random(1, 80000)
\\set h random(10001, 10002)
SELECT status FROM enroll('learner-' || :l, 'offering-' || :h, '', '', '$record');
EOF
chown postgres: "$work"/*.pgbench

# CPU ticks of PostgreSQL: the postmaster, its live processes, and the
# backends that ended (counted in the postmaster's children's time).
pg_ticks() {
  local t
  t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$postmaster/stat")
  for c in $(pgrep -P "$postmaster"); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

echo "== runs ($secs s each after 1 s warm-up; PostgreSQL with TLS, scram, synchronous_commit=off)"
run() {  # run LABEL SCRIPT CLIENTS
  local dir="$work/$1-$3"
  mkdir "$dir" && chown postgres: "$dir"
  local args=(-h 127.0.0.1 -p "$port" -U postgres -n -M prepared -c "$3" -j 2 -f "$work/$2.pgbench")
  PGPASSWORD="$password" PGSSLMODE=require as_pg "$bin/pgbench" "${args[@]}" -T 1 postgres \
    >/dev/null 2>&1  # warm-up at the same concurrency
  local before out cpu children
  children=$(pgrep -P "$postmaster" | wc -l)
  before=$(pg_ticks)
  out=$(cd "$dir" && PGPASSWORD="$password" PGSSLMODE=require /usr/bin/time -f "client_cpu %U %S" \
    runuser -u postgres -- "$bin/pgbench" "${args[@]}" -T "$secs" -l postgres 2>&1)
  # The run's backends count once the postmaster has reaped them.
  for _ in $(seq 100); do
    [ "$(pgrep -P "$postmaster" | wc -l)" -le "$children" ] && break
    sleep 0.05
  done
  cpu=$(($(pg_ticks) - before))
  local tps calls client
  tps=$(grep -o 'tps = [0-9.]*' <<<"$out" | head -1 | grep -o '[0-9.]*$')
  calls=$(grep -o 'number of transactions actually processed: [0-9]*' <<<"$out" | grep -o '[0-9]*$')
  client=$(awk '/^client_cpu/ {print ($2 + $3) * 1e6}' <<<"$out")
  # Per-transaction log: client, transaction, latency µs, ...
  cat "$dir"/pgbench_log.* | awk '{print $3}' | sort -n >"$dir/latencies"
  local n p50 p99 failed
  n=$(wc -l <"$dir/latencies")
  p50=$(sed -n "$(((n + 1) / 2))p" "$dir/latencies")
  p99=$(sed -n "$(((n * 99 + 99) / 100))p" "$dir/latencies")
  failed=$(grep -o 'number of failed transactions: [0-9]*' <<<"$out" | grep -o '[0-9]*$' || echo 0)
  printf '%-8s %3s clients: %6.0f TPS  p50 %5.2f ms  p99 %5.2f ms  failed %s\n' "$1" "$3" "$tps" \
    "$(awk "BEGIN {print $p50 / 1000}")" "$(awk "BEGIN {print $p99 / 1000}")" "${failed:-0}"
  printf '    cpu µs per call: postgres=%d pgbench=%d\n' "$((cpu * 10000 / calls))" \
    "$(awk "BEGIN {printf \"%d\", $client / $calls}")"
}
run spread spread 16
run spread spread 64
run hot hot 16
run hot hot 64
psql -At -c "SELECT 'outcomes: ' || string_agg(state || '=' || n, ' ') FROM
  (SELECT CASE state WHEN 1 THEN 'confirmed' ELSE 'waitlisted' END AS state, count(*) AS n
   FROM enrollments GROUP BY 1 ORDER BY 1) s" \
  -c "SELECT 'outbox events: ' || count(*) FROM outbox" \
  -c "SELECT 'bytes per stored record: ' || max(length(record)) FROM enrollments"
