# Shared by gnlc-redis-start and gnlc-sentinel-start (installed beside them
# in the gnlc/redis image). The deployment says, in the environment:
#   GNLC_PRIMARY_NAME       the name the Sentinels watch the primary by
#   GNLC_REDIS_SERVERS      every Redis server's name, the first the
#                           primary of a new city ("redis-0.redis redis-1.redis")
#   GNLC_SENTINELS          every Sentinel, HOST:PORT, space-separated
#   GNLC_REDIS_ADMIN_PASSWORD_FILE  the admin user's password (replication,
#                           and the Sentinels' checks, run as admin)
: "${GNLC_PRIMARY_NAME:?}" "${GNLC_REDIS_SERVERS:?}" "${GNLC_SENTINELS:?}"
: "${GNLC_REDIS_ADMIN_PASSWORD_FILE:=/etc/gnlc-secrets/admin.password}"
REDISCLI_AUTH="$(cat "$GNLC_REDIS_ADMIN_PASSWORD_FILE")"
export REDISCLI_AUTH

# find_primary [SELF]: the primary's name. The one the Sentinels name;
# when none answers (a new city, or every Sentinel restarting), the server
# other than SELF that says it is primary; when none does, the first.
find_primary() {
  primary=""
  for sentinel in $GNLC_SENTINELS; do
    primary=$(redis-cli -h "${sentinel%:*}" -p "${sentinel##*:}" \
      sentinel get-master-addr-by-name "$GNLC_PRIMARY_NAME" 2>/dev/null | head -n 1 || true)
    [ -z "$primary" ] || break
  done
  if [ -z "$primary" ]; then
    for server in $GNLC_REDIS_SERVERS; do
      [ "$server" != "${1:-}" ] || continue
      if redis-cli -h "$server" --user admin --no-auth-warning role 2>/dev/null | head -n 1 |
        grep -qx master; then
        primary="$server"
        break
      fi
    done
  fi
  [ -n "$primary" ] || primary="${GNLC_REDIS_SERVERS%% *}"
  echo "$primary"
}

# synced_replica [SELF]: the name of another server that runs as a replica
# and has had its first copy of a primary (priority above 0, which
# gnlc-redis-start raises only then), if any.
synced_replica() {
  for server in $GNLC_REDIS_SERVERS; do
    [ "$server" != "${1:-}" ] || continue
    if redis-cli -h "$server" --user admin --no-auth-warning role 2>/dev/null | head -n 1 |
      grep -qx slave &&
      [ "$(redis-cli -h "$server" --user admin --no-auth-warning config get replica-priority \
        2>/dev/null | tail -n 1)" != 0 ]; then
      echo "$server"
      return
    fi
  done
}

# hand_over SELF: this server was the primary and is starting again (it
# crashed, or its container was restarted) while a synced replica runs. Its own
# files may lack the last second of writes (fsynced once a second) that the
# replica has, and every acknowledged write is on the replica; were it to
# start as primary, the replica would copy it and lose them. So it asks the
# Sentinels to promote the replica now, and waits until they name another
# primary (which it prints). Fails after 60 s (the Sentinels may be
# starting, or pausing after a stall): the container is started again.
hand_over() {
  for sentinel in $GNLC_SENTINELS; do
    redis-cli -h "${sentinel%:*}" -p "${sentinel##*:}" sentinel failover "$GNLC_PRIMARY_NAME" \
      >/dev/null 2>&1 && break
  done
  i=0
  while [ $i -lt 60 ]; do
    now=$(find_primary "$1")
    if [ "$now" != "$1" ]; then
      echo "$now"
      return 0
    fi
    sleep 1
    i=$((i + 1))
  done
  echo "gnlc-redis-start: the Sentinels did not promote the replica within 60 s" >&2
  return 1
}
