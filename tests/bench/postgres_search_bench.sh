#!/usr/bin/env bash
# SearchPrograms on PostgreSQL 15 + PostGIS 3, for the comparison in
# BENCHMARKS.md (issue: residents first): the same 100,000 programs as
# tests/bench/catalog_bench.sh, exported from gnlc through its feed, searched
# with the same requests by the functions of tests/bench/postgres/search.sql,
# called by pgbench with prepared statements over TLS with scram (the result
# cache off on gnlc's side, so both compute every search).
#
#   GNLC_SEARCH_CACHE_ENTRIES=0 GNLC_BENCH_REDIS_DIR=/tmp/cat100k \
#     GNLC_BENCH_PG_EXPORT=/tmp/cat100k-pg tests/bench/catalog_bench.sh   # gnlc, and the export
#   tests/bench/postgres_search_bench.sh /tmp/cat100k-pg                   # PostgreSQL, right after
#   GNLC_BENCH_SECONDS=2 tests/bench/postgres_search_bench.sh DIR
#
# First checks that PostgreSQL gives gnlc's answers (total, the four facets
# and the first page in order) to every text and filter request and ten
# near-me ones, at the time gnlc gave them; then runs each class at 1, 16 and
# 64 in flight. Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${GNLC_BUILD_DIR:-$root/build}"
secs="${GNLC_BENCH_SECONDS:-5}"
dir="${1:?usage: postgres_search_bench.sh EXPORT_DIR (from catalog_bench.sh with GNLC_BENCH_PG_EXPORT)}"
exporter="$build/tests/gnlc-catalog-pg-export"
source "$root/tests/bench/bench_postgres.sh"
start_postgres

python3 "$root/tests/bench/postgres/search_requests.py" params "$dir" "$exporter" >/dev/null
cp "$dir"/*.copy "$pg_work/"
chown postgres: "$pg_work"/*.copy
echo "== set-up: $(as_pg "$bin/postgres" --version), PostGIS $(dpkg-query -W -f '${Version}' postgresql-15-postgis-3)"
psql -f "$root/tests/bench/postgres/search.sql" >/dev/null
started=$(date +%s.%N)
psql -c "\\copy programs (id, name, order_key, kind, state, audience_mask, district, record) FROM '$pg_work/programs.copy'"
for table in offerings terms; do
  psql -c "\\copy $table FROM '$pg_work/$table.copy'"
done
now=$(cat "$dir/now")  # the time gnlc answered: availability as it saw it
psql -c "CALL build_indexes()" -c "CALL refresh_availability($now)" -c "VACUUM (ANALYZE, FREEZE)"
psql -c "CREATE TABLE q_zh (i int PRIMARY KEY, terms text[])" \
  -c "CREATE TABLE q_zh2 (i int PRIMARY KEY, terms text[])" \
  -c "CREATE TABLE q_en (i int PRIMARY KEY, terms text[])" \
  -c "CREATE TABLE q_geo (i int PRIMARY KEY, lat float8, lng float8, radius float8)" \
  -c "CREATE TABLE q_filter (i int PRIMARY KEY, kinds text[], districts text[])"
for c in zh zh2 en geo filter; do psql -c "\\copy q_$c FROM '$pg_work/q_$c.copy'"; done
echo "load, index and analyze: $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $started}") s"
psql -At -c "SELECT 'programs ' || (SELECT count(*) FROM programs) || ', offerings ' ||
  (SELECT count(*) FROM offerings) || ', term rows ' || (SELECT count(*) FROM terms) ||
  ', database ' || pg_size_pretty(pg_database_size('postgres'))"
# Warm the buffers (as gnlc's index is in memory).
psql -At -c "SELECT count(*) FROM (SELECT * FROM terms UNION ALL SELECT term, program, 0 FROM terms) t" \
  -c "SELECT count(*) FROM offerings" -c "SELECT count(*) FROM programs" >/dev/null

echo "== the same answers?"
python3 "$root/tests/bench/postgres/search_requests.py" compare "$dir" "$exporter" -- \
  runuser -u postgres -- "$bin/psql" -h "$pg_work" -p "$pg_port" -U postgres

script() {  # script NAME TABLE CALL
  local n
  n=$(psql -At -c "SELECT count(*) FROM $2")
  printf '\\set i random(1, %d)\nSELECT length(summary::text), cardinality(records) FROM %s;\n' \
    "$n" "$3" >"$pg_work/$1.pgbench"
  chown postgres: "$pg_work/$1.pgbench"
}
script zh q_zh "search_text((SELECT terms FROM q_zh WHERE i = :i), $now, 20)"
script zh2 q_zh2 "search_text((SELECT terms FROM q_zh2 WHERE i = :i), $now, 20)"
script en q_en "search_text((SELECT terms FROM q_en WHERE i = :i), $now, 20)"
script geo q_geo "(SELECT * FROM q_geo WHERE i = :i) q, search_near(q.lat, q.lng, q.radius, $now, 20)"
script filter q_filter "(SELECT * FROM q_filter WHERE i = :i) q, search_filter(q.kinds, q.districts, $now, 20)"

echo "== runs ($secs s each after 1 s warm-up; PostgreSQL with TLS, scram)"
for run in "Search-zh zh" "Search-zh-selective zh2" "Search-en en" "Search-geo-3km geo" \
           "Search-kind+district filter"; do
  read -r label file <<<"$run"
  for clients in 1 16 64; do pg_run "$label" "$pg_work/$file.pgbench" "$clients" "$secs"; done
done
