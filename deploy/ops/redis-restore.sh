#!/usr/bin/env bash
# Restores a backup made by redis-backup.sh into an empty data directory,
# as the append-only files a city's Redis starts from (appendonly yes).
# Then start the city's Redis on that directory as usual, and the services:
# they rebuild what they keep in memory (the catalog's index) from it.
#
#   deploy/ops/redis-restore.sh BACKUP.rdb DATA_DIR
#
# Checks the backup's SHA-256 (BACKUP.rdb.sha256) when it is there, and
# refuses a directory that already holds data. With replicas: restore into
# the primary's directory only, start it, then start each replica empty:
# it copies the primary.
set -euo pipefail
[ $# -eq 2 ] || { sed -n '6p' "$0" >&2; exit 2; }
backup="$1" dir="$2"
[ -r "$backup" ] || { echo "cannot read $backup" >&2; exit 2; }
if [ -f "$backup.sha256" ]; then
  [ "$(cut -d' ' -f1 "$backup.sha256")" = "$(sha256sum "$backup" | cut -d' ' -f1)" ] \
    || { echo "$backup does not match its SHA-256: not restoring it" >&2; exit 1; }
fi
redis-check-rdb "$backup" >/dev/null || { echo "$backup did not check out" >&2; exit 1; }
umask 077  # residents' data: the directory and everything in it owner-only
mkdir -p "$dir"
[ -z "$(ls -A "$dir")" ] || { echo "$dir is not empty: restore into an empty directory" >&2; exit 2; }

# A private server on a socket in the directory (no TCP port, no users: it
# is reachable by this script alone) loads the snapshot, writes it out as
# the append-only files, and stops.
cp "$backup" "$dir/restore.rdb"
sock="$dir/restore.sock"
redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --dir "$dir" \
  --dbfilename restore.rdb --appendonly no --save "" --daemonize yes \
  --pidfile "$dir/restore.pid" --logfile "$dir/restore.log"
stop() { redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1 || true; }
trap stop EXIT
for _ in $(seq 1 600); do  # loading a large city takes a while
  [ "$(redis-cli -s "$sock" ping 2>/dev/null)" = PONG ] && break
  sleep 0.1
done
[ "$(redis-cli -s "$sock" ping 2>/dev/null)" = PONG ] || { cat "$dir/restore.log" >&2; exit 1; }
keys=$(redis-cli -s "$sock" dbsize)
redis-cli -s "$sock" config set appendonly yes >/dev/null  # writes the AOF from the data
until redis-cli -s "$sock" info persistence | tr -d '\r' | grep -q '^aof_rewrite_in_progress:0' &&
  redis-cli -s "$sock" info persistence | tr -d '\r' | grep -q '^aof_rewrite_scheduled:0' &&
  redis-cli -s "$sock" info persistence | tr -d '\r' | grep -q '^aof_enabled:1'; do
  sleep 0.1
done
status=$(redis-cli -s "$sock" info persistence | tr -d '\r' | sed -n 's/^aof_last_bgrewrite_status://p')
[ "$status" = ok ] || { echo "writing the append-only files failed" >&2; cat "$dir/restore.log" >&2; exit 1; }
stop
trap - EXIT
for _ in $(seq 1 100); do [ -e "$dir/restore.pid" ] || break; sleep 0.1; done
rm -f "$dir/restore.rdb" "$dir/restore.log" "$dir/restore.pid"
echo "restored $keys keys from $backup into $dir (appendonlydir); start Redis on it"
