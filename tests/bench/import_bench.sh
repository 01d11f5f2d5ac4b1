#!/usr/bin/env bash
# History import benchmark: one million enrollment rows (with a quarter as
# many learners, their programs and offerings, completions, job outcomes
# and feedback) through `gnlcctl import` into a catalog, an enrollment and
# an analytics server (TLS, tokens, Redis users, AOF everysec as in
# production); rows per second per file, then how long analytics takes to
# catch up, the CPU each process used, and Redis memory.
#
#   tests/bench/import_bench.sh                            # 1,000,000 rows
#   GNLC_BENCH_ENROLLMENTS=200000 tests/bench/import_bench.sh
#   GNLC_BENCH_ANALYTICS=after tests/bench/import_bench.sh  # analytics starts
#       once the import is done: each side's cost alone
#
# Everything runs on 127.0.0.1 and stops by itself.
# The streams' owners keep what every reader has read one second (not an
# hour) and trim every half second, so that the memory printed last is the
# steady state a city reaches an hour after an import.
export GNLC_STREAM_MIN_AGE_MS=1000 GNLC_STREAM_TRIM_EVERY_MS=500
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
enrollments="${GNLC_BENCH_ENROLLMENTS:-1000000}"

data="$work/history"
"$build/tools/demo/gnlc-demo-history" --config="$root/deploy/cities/nanjing.json" \
  --out="$data" --enrollments="$enrollments" --learners=$((enrollments / 4)) --id_prefix=B
start catalog
start enrollment --catalog=127.0.0.1:$catalog_port
start analytics --catalog=127.0.0.1:$catalog_port
if [ "${GNLC_BENCH_ANALYTICS:-}" = after ]; then
  # Its consumer group exists (so the import's backlog check sees it) but
  # reads nothing until the import is done.
  kill -STOP "$analytics_pid"
fi
cities=(nanjing)
services=(catalog enrollment analytics)
address_of() { local p="${2}_port"; echo "127.0.0.1:${!p}"; }
source "$root/deploy/launcher_lib.sh"
write_network_json "$work/network.json" address_of

used_memory() { rcli info memory | tr -d '\r' | awk -F: '/^used_memory:/ {print $2}'; }
memory0=$(used_memory)
procs=(redis catalog enrollment analytics)
cpu() { for p in "$redis_pid" "$catalog_pid" "$enrollment_pid" "$analytics_pid"; do ticks "$p"; done; }
mapfile -t c0 < <(cpu)
t0=$(date +%s.%N)
status=0
"$ctl" --network="$work/network.json" --city=nanjing import "$data" 2>"$work/import.log" || status=$?
t1=$(date +%s.%N)
mapfile -t c1 < <(cpu)
tr '\r' '\n' <"$work/import.log" | grep -E 'rows in|waiting' | sed 's/^/  /'
[ "$status" = 0 ] || { echo "import failed (exit $status)"; exit 1; }
[ "${GNLC_BENCH_ANALYTICS:-}" = after ] && kill -CONT "$analytics_pid"
caught_up() {
  curl -s "http://127.0.0.1:$(cut -d' ' -f2 "$work/analytics.ports")/metrics" |
    grep -E '^gnlc_analytics_consumer_(lag|pending)\{stream="enr' | awk '{s += $2} END {exit s != 0}'
}
for _ in $(seq 9000); do caught_up && break; sleep 0.2; done  # bounded: 30 min
caught_up || { echo "analytics did not catch up in 30 min"; exit 1; }
t2=$(date +%s.%N)
mapfile -t c2 < <(cpu)
rows=$(($(wc -l <"$data/learners.csv") + $(wc -l <"$data/enrollments.csv") - 2))
printf '  import: %.1f s for %d learner and enrollment rows (plus the catalog files)\n' \
  "$(echo "$t1 - $t0" | bc)" "$rows"
printf '  analytics caught up %.1f s after the import ended (%.1f s from the start)\n' \
  "$(echo "$t2 - $t1" | bc)" "$(echo "$t2 - $t0" | bc)"
line="  cpu s during the import:"
line2="  cpu s while analytics caught up:"
for i in "${!procs[@]}"; do
  line+=" ${procs[$i]}=$(echo "scale=1; (${c1[$i]} - ${c0[$i]}) / 100" | bc)"
  line2+=" ${procs[$i]}=$(echo "scale=1; (${c2[$i]} - ${c1[$i]}) / 100" | bc)"
done
echo "$line"
echo "$line2"
echo "  redis used_memory $(rcli info memory | grep -o '^used_memory_human:.*' | cut -d: -f2 | tr -d '\r')," \
  "enrollment RSS $(($(awk '/VmRSS/ {print $2}' /proc/$enrollment_pid/status) / 1024)) MiB," \
  "analytics RSS $(($(awk '/VmRSS/ {print $2}' /proc/$analytics_pid/status) / 1024)) MiB"
echo "  redis time by command (usec_per_call, calls), largest first:"
rcli info commandstats | tr -d '\r' | grep -o 'cmdstat_[a-z|]*:calls=[0-9]*,usec=[0-9]*,usec_per_call=[0-9.]*' |
  awk -F'[:=,]' '{printf "    %-22s %8.1f s  %10d calls  %8.1f us/call\n", substr($1, 9), $5 / 1e6, $3, $7}' |
  sort -k2 -rn | head -6

# Once every reader has the import's events the owners trim them: Redis per
# enrollment row (with its share of learners, programs and offerings, and
# every service's state), the city's steady state.
stream_len() { rcli xlen "$1" | tr -d '\r'; }
for _ in $(seq 100); do  # bounded: 20 s
  [ "$(stream_len 'enr:{0}:events')" -le 10 ] && [ "$(stream_len 'cat:{0}:events')" -le 10 ] && break
  sleep 0.2
done
enrollment_rows=$(($(wc -l <"$data/enrollments.csv") - 1))
memory1=$(used_memory)
echo "  after the trim: streams enr $(stream_len 'enr:{0}:events'), cat $(stream_len 'cat:{0}:events')" \
  "entries; redis used_memory grew $(((memory1 - memory0) / 1048576)) MiB:" \
  "$(((memory1 - memory0) / enrollment_rows)) bytes per enrollment row"
# Where it goes: bytes by key family (ids replaced by *), largest first.
echo "  by key family (MEMORY USAGE, MiB, keys):"
rcli eval "
local sizes, counts, cursor = {}, {}, '0'
repeat
  local page = redis.call('SCAN', cursor, 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    local family = string.match(key, '^([^:]+:[^:]+:[^:]+):') 
    family = family and (family .. ':*') or key
    sizes[family] = (sizes[family] or 0) + (redis.call('MEMORY', 'USAGE', key, 'SAMPLES', 0) or 0)
    counts[family] = (counts[family] or 0) + 1
  end
until cursor == '0'
local out = {}
for f, b in pairs(sizes) do out[#out + 1] = f .. ' ' .. b .. ' ' .. counts[f] end
return out" 0 | tr -d '\r' |
  awk '{printf "    %-28s %8.1f %9d\n", $1, $2 / 1048576, $3}' | sort -k2 -rn | head -12

# GNLC_BENCH_ARCHIVE_BEFORE=YEAR: then `gnlcctl archive --before=YEAR`, how
# long it takes, and what Redis holds per enrollment still online.
if [ -n "${GNLC_BENCH_ARCHIVE_BEFORE:-}" ]; then
  mkdir -p "$work/archive"
  a0=$(date +%s.%N)
  "$ctl" --network="$work/network.json" --city=nanjing archive \
    --before="$GNLC_BENCH_ARCHIVE_BEFORE" "$work/archive" 2>"$work/archive.log" ||
    { echo "archive failed"; tail -3 "$work/archive.log"; exit 1; }
  a1=$(date +%s.%N)
  archived=$(($(wc -l <"$work/archive/enrollments.csv") - 1))
  online=$(rcli hlen 'enr:{0}:enr' | tr -d '\r')
  memory2=$(used_memory)
  printf '  archive --before=%s: %d learners, %d enrollments in %.1f s (%s of CSV)\n' \
    "$GNLC_BENCH_ARCHIVE_BEFORE" "$(($(wc -l <"$work/archive/learners.csv") - 1))" "$archived" \
    "$(echo "$a1 - $a0" | bc)" "$(du -sh "$work/archive" | cut -f1)"
  echo "  after the archive: $online enrollments online; redis used_memory grew" \
    "$(((memory2 - memory0) / 1048576)) MiB over the start:" \
    "$(((memory2 - memory0) / (online > 0 ? online : 1))) bytes per enrollment online"
fi
