#!/usr/bin/env bash
# Takes a consistent backup of a city's Redis: one point-in-time snapshot
# (an RDB file, as a replica's first sync receives it) of everything the
# city holds: records, indexes, streams and their readers' positions,
# aggregates. Point it at the replica where there is one: the snapshot is
# made by a fork of the server asked, and the primary keeps its CPU for
# residents.
#
#   deploy/ops/redis-backup.sh HOST:PORT ADMIN_PASSWORD_FILE OUT.rdb
#   deploy/ops/redis-backup.sh 127.0.0.1:6380 .run/pki/nanjing/redis/admin.password \
#     /backups/nanjing-$(date +%F).rdb
#
# The file is checked (redis-check-rdb) before the script says it is done,
# and written next to its SHA-256; restore it with redis-restore.sh. It holds
# residents' personal data: keep it as carefully as the server (docs/operations/running-a-city.md,
# "Backing up a city's Redis").
set -euo pipefail
[ $# -eq 3 ] || { sed -n '8,10p' "$0" >&2; exit 2; }
address="$1" password_file="$2" out="$3"
host="${address%:*}" port="${address##*:}"
[ -r "$password_file" ] || { echo "cannot read the password file $password_file" >&2; exit 2; }
[ ! -e "$out" ] || { echo "$out exists: a backup never overwrites another" >&2; exit 2; }

partial="$out.partial"
trap 'rm -f "$partial"' EXIT
umask 077  # residents' data: owner-only
REDISCLI_AUTH="$(cat "$password_file")" redis-cli -h "$host" -p "$port" --user admin \
  --no-auth-warning --rdb "$partial" >/dev/null
redis-check-rdb "$partial" >/dev/null || { echo "the snapshot did not check out" >&2; exit 1; }
sync "$partial"
mv "$partial" "$out"
sha256sum "$out" >"$out.sha256"
echo "backed up $address to $out ($(stat -c %s "$out") bytes)"
