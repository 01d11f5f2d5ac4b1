#!/usr/bin/env bash
# What checking a script's keys costs inside Redis: the same 20 key names
# built by concatenation with one key in KEYS, and through k()
# (common/redis/lua/keys.lua) with the 30 keys an enrollment passes
# (the stream, 18 shared keys, an offering's 4, a learner's 6, a request's).
# Prints Redis's own time per EVALSHA (INFO commandstats), three rounds.
#
#   tests/bench/script_keys_bench.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d /tmp/gnlc-keys-bench-XXXXXX)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do :; done

keys=(enr:{0}:events)
for n in learners lstat subjects enr meta seq evs evsscan src erasedsrc archive archived ntfcursor \
         remind remindn reminded remindscan events:trimmed; do keys+=("enr:{0}:$n"); done
for n in off seated wl roster; do keys+=("enr:{0}:$n:o1"); done
for n in le active lreq lsrc lev lntf; do keys+=("enr:{0}:$n:L1"); done
keys+=("enr:{0}:req:e:r1")

plain=$(redis-cli -p "$port" SCRIPT LOAD "local KEY_PREFIX = 'enr:{0}:'
for i = 1, 20 do local key = KEY_PREFIX .. 'off' .. ':' .. 'o1' end return 1")
checked=$(redis-cli -p "$port" SCRIPT LOAD "local KEY_PREFIX = 'enr:{0}:'
$(cat "$root/common/redis/lua/keys.lua")
for i = 1, 20 do local key = k('off', 'o1') end return 1")

per_call() {
  redis-cli -p "$port" INFO commandstats | grep -o 'cmdstat_evalsha:.*usec_per_call=[0-9.]*' |
    grep -o '[0-9.]*$'
}
for round in 1 2 3; do
  redis-cli -p "$port" CONFIG RESETSTAT >/dev/null
  redis-benchmark -p "$port" -n 100000 -c 16 -q EVALSHA "$plain" 1 "${keys[0]}" c 1 2 >/dev/null
  echo "round $round: 1 key, names concatenated: $(per_call) µs per script"
  redis-cli -p "$port" CONFIG RESETSTAT >/dev/null
  redis-benchmark -p "$port" -n 100000 -c 16 -q EVALSHA "$checked" "${#keys[@]}" "${keys[@]}" c 1 2 \
    >/dev/null
  echo "round $round: ${#keys[@]} keys, through k():     $(per_call) µs per script"
done
