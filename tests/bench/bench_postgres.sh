# Sourced by the PostgreSQL comparison benchmarks: start_postgres starts a
# PostgreSQL 15 on a free loopback port in a fresh directory (pg_work), tuned
# as a PostgreSQL expert would tune it for this 2-core, 24 GiB machine, with
# TLS (an ECDSA P-256 certificate, as gnlc's development PKI) and
# scram-sha-256, as gnlc's calls have TLS and a token; stops it on exit.
# Defines psql (as the postgres superuser, over the Unix socket), pgbench_tls
# (pgbench over TLS with the password) and pg_ticks (CPU ticks of the server
# and every backend, live or ended). Installs postgresql-15, PostGIS 3 and
# time when missing (needs root).
bin=/usr/lib/postgresql/15/bin
if [ ! -x "$bin/postgres" ] || [ ! -x /usr/bin/time ] \
  || [ ! -e /usr/share/postgresql/15/extension/postgis.control ]; then
  [ "$(id -u)" = 0 ] || { echo "needs postgresql-15, postgis and time installed (run as root)"; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 postgresql-15-postgis-3 time \
    >/dev/null
fi
as_pg() { runuser -u postgres -- "$@"; }

start_postgres() {
  pg_work="$(mktemp -d /tmp/gnlc-pg-bench-XXXXXX)"
  chown postgres: "$pg_work"
  trap 'as_pg "$bin/pg_ctl" -D "$pg_work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_work"' EXIT
  pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  pg_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  echo "$pg_password" >"$pg_work/pw"
  chown postgres: "$pg_work/pw"
  as_pg "$bin/initdb" -D "$pg_work/data" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 --pwfile="$pg_work/pw" >/dev/null
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=127.0.0.1 -keyout "$pg_work/data/server.key" -out "$pg_work/data/server.crt" 2>/dev/null
  chown postgres: "$pg_work/data/server.key" "$pg_work/data/server.crt"
  chmod 600 "$pg_work/data/server.key"
  echo "hostssl all all 127.0.0.1/32 scram-sha-256" >"$pg_work/data/pg_hba.conf"
  echo "local all postgres trust" >>"$pg_work/data/pg_hba.conf"
  # Everything in memory (2 GB shared buffers), checkpoints far apart, no
  # JIT for short statements, synchronous_commit=off (at most ~0.6 s lost on
  # a crash, as gnlc's AOF everysec loses at most 1 s).
  cat >>"$pg_work/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg_work'
ssl = on
max_connections = 100
shared_buffers = 2GB
effective_cache_size = 16GB
work_mem = 16MB
maintenance_work_mem = 1GB
wal_buffers = 64MB
max_wal_size = 16GB
checkpoint_timeout = 30min
synchronous_commit = off
jit = off
random_page_cost = 1.1
CONF
  as_pg "$bin/pg_ctl" -D "$pg_work/data" -l "$pg_work/postgres.log" -w start >/dev/null
  postmaster=$(head -1 "$pg_work/data/postmaster.pid")
}
psql() { as_pg "$bin/psql" -h "$pg_work" -p "$pg_port" -U postgres -q -v ON_ERROR_STOP=1 "$@"; }
pgbench_tls() {
  PGPASSWORD="$pg_password" PGSSLMODE=require as_pg "$bin/pgbench" -h 127.0.0.1 -p "$pg_port" \
    -U postgres "$@"
}
pg_ticks() {
  local t
  t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$postmaster/stat")
  for c in $(pgrep -P "$postmaster"); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

# pg_run LABEL SCRIPT CLIENTS SECONDS: a pgbench run with prepared statements
# after a 1 s warm-up at the same concurrency; prints TPS, p50/p99 (from the
# per-transaction log) and the CPU per call of PostgreSQL and of pgbench.
pg_run() {
  local dir="$pg_work/$1-$3"
  mkdir "$dir" && chown postgres: "$dir"
  local args=(-n -M prepared -c "$3" -j 2 -f "$2")
  pgbench_tls "${args[@]}" -T 1 postgres >/dev/null 2>&1
  local before out cpu children
  children=$(pgrep -P "$postmaster" | wc -l)
  before=$(pg_ticks)
  out=$(cd "$dir" && PGPASSWORD="$pg_password" PGSSLMODE=require /usr/bin/time -f "client_cpu %U %S" \
    runuser -u postgres -- "$bin/pgbench" -h 127.0.0.1 -p "$pg_port" -U postgres "${args[@]}" \
    -T "$4" -l postgres 2>&1)
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
  printf '%-22s %3s clients: %7.0f TPS  p50 %6.2f ms  p99 %6.2f ms  failed %s\n' "$1" "$3" "$tps" \
    "$(awk "BEGIN {print $p50 / 1000}")" "$(awk "BEGIN {print $p99 / 1000}")" "${failed:-0}"
  printf '    cpu µs per call: postgres=%d pgbench=%d\n' "$((cpu * 10000 / calls))" \
    "$(awk "BEGIN {printf \"%d\", $client / $calls}")"
}
