#!/usr/bin/env bash
# Catalog benchmark (issue: catalog). Loads N synthetic programs (about 2.5
# offerings each) through the CatalogService API into a fresh Redis, restarts
# the catalog to time the index build and read its memory, then drives each
# scenario with gnlc-load at 1, 16 and 64 calls in flight, each next to the
# echo ceiling measured in the same run.
#
#   tests/bench/catalog_bench.sh              # N=100000, 5 s per run
#   GNLC_BENCH_PROGRAMS=5000 GNLC_BENCH_SECONDS=2 tests/bench/catalog_bench.sh
#   GNLC_BENCH_REDIS_DIR=/tmp/cat100k tests/bench/catalog_bench.sh  # keep the data set:
#       loaded on the first run, reused (not loaded again) on later ones
#   GNLC_BENCH_PG_EXPORT=/tmp/cat100k-pg ...  # also export it for postgres_search_bench.sh
#
# Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${GNLC_BUILD_DIR:-$root/build}"
n="${GNLC_BENCH_PROGRAMS:-100000}"
secs="${GNLC_BENCH_SECONDS:-5}"
work="$(mktemp -d /tmp/gnlc-bench-XXXXXX)"
data="${GNLC_BENCH_REDIS_DIR:-$work}"
mkdir -p "$data"
load="$build/gnlc-load"
[ -x "$load" ] || load="$build/tests/gnlc-load"
catalog_pid=""
cleanup() {
  [ -n "$catalog_pid" ] && kill -TERM "$catalog_pid" 2>/dev/null && wait "$catalog_pid" 2>/dev/null
  if [ "$data" = "$work" ]; then
    rcli shutdown nosave >/dev/null 2>&1 || true
  else
    rcli shutdown >/dev/null 2>&1 || true  # keep the data set
  fi
  rm -rf "$work"
}
trap cleanup EXIT
# GNLC_BENCH_ONLY=REGEX: only the scenarios whose label matches (e.g. 'kind|selective').
# GNLC_BENCH_PERF=1: a CPU profile of the catalog during each scenario's run
#   at 16 in flight; its top functions are printed after the run.

# TLS, tokens and Redis users as in production, with development credentials
# (gnlcctl finds them through GNLC_RUN_DIR); the echo ceiling is measured
# over TLS.
export GNLC_RUN_DIR="$work"
ctl="$build/tools/gnlcctl/gnlcctl"
"$ctl" dev-pki --dir="$work/pki" --cities=nanjing

source "$root/tests/bench/bench_redis.sh"
# Servers refuse to start without a page-token secret (no guessable default).
export GNLC_PAGE_TOKEN_SECRET="${GNLC_PAGE_TOKEN_SECRET:-$(head -c 24 /dev/urandom | base64)}"
start_redis 26379 "$data" "$work/pki/nanjing"
"$ctl" token --city=nanjing --role=city_admin --sub=bench --ttl_seconds=7200 >"$work/admin.token"
tls_args=(--ca="$work/pki/nanjing/tls/ca.crt" --token_file="$work/admin.token")
echo_args=(--echo_cert="$work/pki/nanjing/tls/catalog.crt" --echo_key="$work/pki/nanjing/tls/catalog.key")

start_catalog() {
  rm -f "$work/ports"
  "$build/services/catalog/gnlc-catalog" --config="$root/deploy/cities/nanjing.json" \
    --secrets_dir="$work/pki/nanjing" \
    --redis=127.0.0.1:$rport --port_file="$work/ports" --rate_limits=off >"$work/catalog.log" 2>&1 &
  catalog_pid=$!
  until [ -s "$work/ports" ]; do sleep 0.05; done
  port=$(cut -d' ' -f1 "$work/ports")
  until "$ctl" --addr=127.0.0.1:$port grpc.health.v1.Health.Check '{}' 2>/dev/null \
    | grep -q '"SERVING"'; do sleep 0.05; done
}

start_catalog
if [ "$(rcli hlen 'cat:{0}:programs')" -eq 0 ]; then
  echo "== loading $n synthetic programs through CreateProgram/CreateOffering"
  "$build/tools/demo/gnlc-demo-load" --addr=127.0.0.1:$port --config="$root/deploy/cities/nanjing.json" \
    "${tls_args[@]}" \
    --synthetic="$n" --threads=16
else
  echo "== reusing the data set in $data ($(rcli hlen 'cat:{0}:programs') programs)"
fi
kill -TERM $catalog_pid; wait $catalog_pid || true
echo "== restarting the catalog: index build from Redis"
start_catalog
grep "index built" "$work/catalog.log" || { cat "$work/catalog.log"; exit 1; }
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$catalog_pid/status)
echo "catalog RSS after index build: $((rss_kb / 1024)) MiB"
redis_mem=$(rcli info memory | awk -F: '/^used_memory_human/ {print $2}' | tr -d '\r')
echo "redis used_memory: $redis_mem"

echo "== request files"
rcli --raw hkeys 'cat:{0}:programs' | shuf -n 20000 --random-source=<(yes) \
  | sed 's|.*|{"name":"cities/nanjing/programs/&"}|' >"$work/get.jsonl"
for q in 书法 茶艺 编程 数字素养 太极 陶艺 人工智能 摄影; do
  echo "{\"parent\":\"cities/nanjing\",\"query\":\"$q\",\"page_size\":20}"
done >"$work/search_zh.jsonl"
# Two words, as residents type them: a subject and a format (fewer matches).
for q in 书法入门 茶艺进阶 编程训练营 太极拳讲座 摄影工作坊 陶艺体验课; do
  echo "{\"parent\":\"cities/nanjing\",\"query\":\"$q\",\"page_size\":20}"
done >"$work/search_zh2.jsonl"
for q in calligraphy tea coding "digital literacy" pottery dance "first aid"; do
  echo "{\"parent\":\"cities/nanjing\",\"query\":\"$q\",\"page_size\":20}"
done >"$work/search_en.jsonl"
awk 'BEGIN { srand(7); for (i = 0; i < 500; i++) printf "{\"parent\":\"cities/nanjing\",\"near\":{\"center\":{\"latitude\":%.5f,\"longitude\":%.5f},\"radius_meters\":3000},\"order_by\":\"SEARCH_ORDER_DISTANCE\",\"page_size\":20}\n", 31.85 + rand() * 0.35, 118.60 + rand() * 0.40 }' >"$work/search_geo.jsonl"
for k in PROGRAM_KIND_WORKSHOP PROGRAM_KIND_COURSE PROGRAM_KIND_SKILL_TRAINING PROGRAM_KIND_CULTURAL; do
  for d in gulou xuanwu qinhuai jiangning pukou; do
    echo "{\"parent\":\"cities/nanjing\",\"kinds\":[\"$k\"],\"districts\":[\"$d\"],\"page_size\":20}"
  done
done >"$work/search_filter.jsonl"
max_seq=$(rcli get 'cat:{0}:seq')
awk -v max="$max_seq" 'BEGIN { srand(11); for (i = 0; i < 500; i++) { s = int(rand() * max); printf "%d\n", s } }' \
  | while read -r s; do
      printf '{"parent":"cities/nanjing","cursor":"%s","page_size":1000}\n' "$(printf 'v1:%s' "$s" | base64 -w0 | tr '+/' '-_' | tr -d '=')"
    done >"$work/changes.jsonl"

# GNLC_BENCH_PG_EXPORT=DIR: the data set, the requests, and gnlc's answers
# to them (with the time they were given) for tests/bench/postgres_search_bench.sh.
if [ -n "${GNLC_BENCH_PG_EXPORT:-}" ]; then
  pg_dir="$GNLC_BENCH_PG_EXPORT"
  mkdir -p "$pg_dir/answers"
  echo "== exporting the catalog, as harvested through its feed, to $pg_dir"
  "$build/tests/gnlc-catalog-pg-export" --addr=127.0.0.1:$port --out="$pg_dir" "${tls_args[@]}"
  cp "$work"/search_{zh,zh2,en,geo,filter}.jsonl "$pg_dir/"
  date +%s >"$pg_dir/now"
  # Every text and filter request, and the first 10 near-me ones.
  cat "$work"/search_{zh,zh2,en,filter}.jsonl <(head -10 "$work/search_geo.jsonl") >"$pg_dir/sample.jsonl"
  i=0
  while read -r req; do
    i=$((i + 1))
    "$ctl" --addr=127.0.0.1:$port "${tls_args[@]}" catalog.SearchPrograms "$req" \
      >"$pg_dir/answers/$i.json"
  done <"$pg_dir/sample.jsonl"
  echo "gnlc's answers to $i requests saved"
fi

echo "== runs ($secs s each after 1 s warm-up; ratio = QPS / echo QPS at the same concurrency; search cache entries: ${GNLC_SEARCH_CACHE_ENTRIES:-default})"
for scenario in "GetProgram catalog.GetProgram get" \
                "Search-zh catalog.SearchPrograms search_zh" \
                "Search-zh-selective catalog.SearchPrograms search_zh2" \
                "Search-en catalog.SearchPrograms search_en" \
                "Search-geo-3km catalog.SearchPrograms search_geo" \
                "Search-kind+district catalog.SearchPrograms search_filter" \
                "ListProgramChanges(1000) catalog.ListProgramChanges changes"; do
  read -r label method file <<<"$scenario"
  [[ "$label" =~ ${GNLC_BENCH_ONLY:-.} ]] || continue
  for inflight in 1 16 64; do
    perf_pid=""
    if [ -n "${GNLC_BENCH_PERF:-}" ] && [ "$inflight" = 16 ]; then
      # The load's 1 s warm-up and its echo run are profiled too; the
      # search's own functions stand out all the same.
      perf record -q -F 999 -g -o "$work/perf.data" -p "$catalog_pid" 2>/dev/null &
      perf_pid=$!
    fi
    "$load" --target=127.0.0.1:$port --method="$method" --requests="$work/$file.jsonl" \
      --inflight=$inflight --seconds="$secs" --echo --label="$label" "${tls_args[@]}" "${echo_args[@]}" \
      | grep -v '^RESULT'
    if [ -n "$perf_pid" ]; then
      kill -INT "$perf_pid"
      wait "$perf_pid" || true
      perf report -q -i "$work/perf.data" --no-children --sort symbol -g none 2>/dev/null \
        | grep -v '^$' | head -25
    fi
  done
done
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$catalog_pid/status)
echo "catalog RSS after the runs: $((rss_kb / 1024)) MiB"
