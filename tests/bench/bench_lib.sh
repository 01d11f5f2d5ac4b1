# Shared by the service benchmarks (sourced): a fresh Redis with AOF
# everysec, real service binaries on loopback with TLS and tokens as in
# production (a development PKI in the work folder), and gnlc-load runs that
# also report the CPU each process used; the echo ceiling is measured over
# TLS too. Services run as their own Redis users; rate limits are off (one
# load generator is one caller) unless GNLC_BENCH_RATE_LIMITS=on. Sets: root,
# build, secs, work, load, rport, pids, pki, tls_args; defines start, run,
# rcli (redis-cli as Redis's admin user). GNLC_BENCH_SERVER_FLAGS: more flags
# for every server (e.g. "--handler_threads=64"). GNLC_BENCH_ONLY=REGEX: only
# the runs whose label matches.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${GNLC_BUILD_DIR:-$root/build}"
secs="${GNLC_BENCH_SECONDS:-5}"
work="$(mktemp -d /tmp/gnlc-bench-XXXXXX)"
load="$build/tests/gnlc-load"
pids=()
names=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ -n "${rport:-}" ] && rcli shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT


# Development credentials; gnlcctl finds them through GNLC_RUN_DIR.
export GNLC_RUN_DIR="$work"
ctl="$build/tools/gnlcctl/gnlcctl"
pki="$work/pki"
"$ctl" dev-pki --dir="$pki" --cities=nanjing

# The Redis, with each service as its own user as in production.
source "$root/tests/bench/bench_redis.sh"
# Servers refuse to start without a page-token secret (no guessable default).
export GNLC_PAGE_TOKEN_SECRET="${GNLC_PAGE_TOKEN_SECRET:-$(head -c 24 /dev/urandom | base64)}"
start_redis 26479 "$work" "$pki/nanjing"
redis_pid=$(cat "$work/redis.pid")
"$ctl" token --city=nanjing --role=city_admin --sub=bench --ttl_seconds=7200 >"$work/admin.token"
tls_args=(--ca="$pki/nanjing/tls/ca.crt" --token_file="$work/admin.token"
  --echo_cert="$pki/nanjing/tls/catalog.crt" --echo_key="$pki/nanjing/tls/catalog.key")

start() {  # start SERVICE [FLAGS...]; sets ${SERVICE}_port and ${SERVICE}_pid
  local svc="$1"
  shift
  rm -f "$work/$svc.ports"  # a restart must not read the last run's ports
  "$build/services/$svc/gnlc-$svc" --config="${GNLC_BENCH_CONFIG:-$root/deploy/cities/nanjing.json}" \
    --secrets_dir="$pki/nanjing" --redis=127.0.0.1:$rport --port_file="$work/$svc.ports" \
    --rate_limits="${GNLC_BENCH_RATE_LIMITS:-off}" ${GNLC_BENCH_SERVER_FLAGS:-} "$@" \
    >"$work/$svc.log" 2>&1 &
  pids+=($!)
  names+=("$svc")
  printf -v "${svc}_pid" '%s' "$!"
  local pid=$!
  until [ -s "$work/$svc.ports" ]; do  # a server that cannot start says why
    kill -0 "$pid" 2>/dev/null || { cat "$work/$svc.log"; exit 1; }
    sleep 0.05
  done
  local port
  port=$(cut -d' ' -f1 "$work/$svc.ports")
  local tries=0
  until "$ctl" --addr=127.0.0.1:$port grpc.health.v1.Health.Check '{}' 2>/dev/null \
    | grep '"SERVING"' >/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -lt 600 ] || { echo "$svc not SERVING after 30 s"; cat "$work/$svc.log"; exit 1; }
    sleep 0.05
  done
  printf -v "${svc}_port" '%s' "$port"
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() {  # run PORT LABEL METHOD FILE INFLIGHT [gnlc-load flags]; also CPU used per process meanwhile
  # GNLC_BENCH_ONLY=REGEX: only the runs whose label matches.
  [[ "$2" =~ ${GNLC_BENCH_ONLY:-.} ]] || return 0
  local before=() after=() p i line="    cpu s (incl. echo phase):"
  for p in "$redis_pid" "${pids[@]}"; do before+=("$(ticks "$p")"); done
  local out qps
  out=$("$load" --target=127.0.0.1:$1 --method="$3" --requests="$work/$4.jsonl" \
    --inflight="$5" --seconds="$secs" --echo --label="$2" "${tls_args[@]}" "${@:6}")
  grep -v '^RESULT' <<<"$out"
  qps=$(grep -o '^RESULT.* qps=[0-9]*' <<<"$out" | grep -o '[0-9]*$')
  for p in "$redis_pid" "${pids[@]}"; do after+=("$(ticks "$p")"); done
  local all=(redis "${names[@]}") per="    cpu µs per call (the 1 s warm-up at the same rate counted):"
  for i in "${!all[@]}"; do
    local used=$((${after[$i]} - ${before[$i]}))
    line+=" ${all[$i]}=$used"
    [ "${qps:-0}" -gt 0 ] && per+=" ${all[$i]}=$((used * 10000 / (qps * (secs + 1))))"
  done
  echo "$line (1/100 s)"
  echo "$per"
}
