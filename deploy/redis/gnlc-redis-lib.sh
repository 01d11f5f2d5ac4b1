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
