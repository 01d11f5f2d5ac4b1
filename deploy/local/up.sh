#!/usr/bin/env bash
# Brings up a two-city gnlc network on loopback: for nanjing and suzhou, a
# redis-server (AOF on, data under .run/<city>/redis, kept across restarts)
# and every service that exists, loaded with demo data through the services'
# own gRPC APIs. Prints the endpoints and writes them to .run/network.json.
# Running it again while the network is up is harmless.
#
# Security as in production, with development credentials: .run/pki holds a
# network CA, each city's CA, a server certificate per service, a city
# certificate (spiffe://gnlc.network/cities/CITY) for mutual TLS between the
# cities, and a development token issuer per city (signing key + JWKS).
# Every gRPC port speaks TLS and every call needs a token; gnlcctl --city
# finds the CA and mints a city_admin token by itself.
#
# Environment: GNLC_RUN_DIR (default .run), GNLC_BUILD_DIR (default build),
# GNLC_SKIP_DEPS=1 / GNLC_SKIP_BUILD=1 to skip those steps (used by tests).
# GNLC_REDIS_HA=1: each city's Redis as a primary, a replica and three
# Sentinels (primary "gnlc-CITY"); the services find the primary through
# the Sentinels, and again after a failover (docs/operations/running-a-city.md, "Redis with replicas
# and Sentinel"). Keep it the same across runs of one run folder.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
run="${GNLC_RUN_DIR:-$root/.run}"
build="${GNLC_BUILD_DIR:-$root/build}"
cities=(nanjing suzhou)
# ccache: paths relative to the checkout, so every clone (CI's included)
# shares one cache instead of rebuilding from scratch.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
# The services whose issues have landed; the others are not started yet.
services=(catalog enrollment partnership analytics)  # in start order: the others read the catalog

if [ "${GNLC_SKIP_DEPS:-0}" != 1 ]; then "$root/deploy/local/install-deps.sh"; fi
if [ "${GNLC_SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  targets=(gnlcctl gnlc-demo-load gnlc-demo-history)
  for s in "${services[@]}"; do targets+=("gnlc-$s"); done
  cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
fi
ctl="$build/tools/gnlcctl/gnlcctl"
# shellcheck source=../launcher_lib.sh
source "$root/deploy/launcher_lib.sh"
mkdir -p "$run"
pki="$run/pki"
# Kept across runs; only the services' tokens are minted anew.
"$ctl" dev-pki --dir="$pki" --cities="$(IFS=,; echo "${cities[*]}")"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p
  for p in $(seq "$1" $(($1 + 500))); do
    if port_free "$p"; then echo "$p"; return 0; fi
  done
  echo "up.sh: no free port from $1" >&2
  return 1
}
serving() {  # serving CITY ADDRESS
  "$ctl" --pki="$pki" --city="$1" --addr="$2" --timeout_ms=1000 health
}
admin_token() {  # admin_token CITY: a file with a city_admin token for the demo loader
  local f="$pki/$1/auth/demo-admin.token"
  # Owner-only, like every credential under .run/pki.
  (umask 077 && "$ctl" token --pki="$pki" --city="$1" --role=city_admin --sub=demo-loader \
    --ttl_seconds=3600 >"$f")
  chmod 0600 "$f"
  echo "$f"
}
page_token_secret() {  # page_token_secret CITY: the city's secret, made once (owner-only)
  local f="$pki/$1/page-token.secret"
  if [ ! -s "$f" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$f")
  fi
  cat "$f"
}

redis_admin() {  # redis_admin CITY PORT COMMAND...: redis-cli as the city's Redis admin user
  redis-cli -p "$2" --user admin --pass "$(cat "$pki/$1/redis/admin.password")" --no-auth-warning \
    "${@:3}"
}
redis_ping() { redis_admin "$1" "$2" ping 2>/dev/null | grep -q PONG; }  # redis_ping CITY PORT
replica_synced() {  # replica_synced CITY PORT: its first sync from the primary is done
  redis_admin "$1" "$2" info replication 2>/dev/null | grep -q '^master_link_status:up'
}

start_redis() {  # start_redis CITY BASE_PORT [NAME PRIMARY_NAME]: NAME replicates PRIMARY_NAME
  local dir="$run/$1" name="${3:-redis}" port ha=()
  mkdir -p "$dir/$name"
  if alive "$dir/$name.pid"; then return 0; fi
  if [ -f "$dir/$name.port" ] && port_free "$(cat "$dir/$name.port")"; then
    port=$(cat "$dir/$name.port")
  else
    port=$(pick_port "$2")
  fi
  if [ "${GNLC_REDIS_HA:-0}" = 1 ]; then
    # Either server may be the primary after a failover, so both know how
    # to replicate (as the admin user; the password in an owner-only file).
    # A backlog big enough that a replica re-pointed after a failover
    # catches up from it instead of copying everything again.
    (umask 077 && printf 'masteruser admin\nmasterauth %s\nrepl-backlog-size 64mb\n' \
      "$(cat "$pki/$1/redis/admin.password")" >"$dir/$name.conf")
    ha=("$dir/$name.conf")
    # A replica is never promoted until its first sync is done: before
    # that it holds only its own old data, and Sentinel would otherwise
    # count it a candidate like any other (priority 0 until then).
    [ -z "${4:-}" ] || ha+=(--replicaof 127.0.0.1 "$(cat "$dir/$4.port")" --replica-priority 0)
  fi
  # Each service connects as its own Redis user (users.acl from dev-pki).
  # A memory limit, never eviction: at the limit writes are refused
  # (UNAVAILABLE STORAGE_FULL) and nothing a city holds is dropped. An
  # offering's roster (about 120 enrollments) and an idempotency key's saved
  # reply stay compact listpacks (docs/operations/running-a-city.md, "Sizing Redis").
  redis-server "${ha[@]}" --port "$port" --bind 127.0.0.1 --protected-mode yes --dir "$dir/$name" \
    --appendonly yes --appendfsync everysec --save "" --daemonize yes \
    --maxmemory "${GNLC_REDIS_MAXMEMORY:-1gb}" --maxmemory-policy noeviction \
    --zset-max-listpack-entries 256 --hash-max-listpack-value 256 \
    --aclfile "$pki/$1/redis/users.acl" \
    --pidfile "$dir/$name.pid" --logfile "$dir/$name.log"
  echo "$port" >"$dir/$name.port"
  wait_for 10 "$name of $1" redis_ping "$1" "$port"
  if [ -n "${4:-}" ]; then
    wait_for 60 "$name of $1 to copy the primary" replica_synced "$1" "$port"
    redis_admin "$1" "$port" config set replica-priority 100 >/dev/null
  fi
}

# GNLC_REDIS_HA=1: the primary (the one the running Sentinels name, or the
# one down.sh found primary last time), its replica, and three Sentinels
# watching it (quorum 2), which fail over 5 s after the primary stops
# answering. A server that crashed is started again as the replica.
start_redis_ha() {  # start_redis_ha CITY BASE_PORT
  local dir="$run/$1" primary=redis replica=redis-replica i port current=""
  if [ "$(cat "$dir/redis.primary" 2>/dev/null)" = redis-replica ]; then
    primary=redis-replica replica=redis
  fi
  for i in 1 2 3; do
    alive "$dir/sentinel-$i.pid" || continue
    current=$(redis-cli -p "$(cat "$dir/sentinel-$i.port")" sentinel get-master-addr-by-name "gnlc-$1" | tail -1)
    break
  done
  if [ -n "$current" ] && [ "$current" = "$(cat "$dir/redis-replica.port" 2>/dev/null)" ]; then
    primary=redis-replica replica=redis
  elif [ -n "$current" ] && [ "$current" = "$(cat "$dir/redis.port" 2>/dev/null)" ]; then
    primary=redis replica=redis-replica
  fi
  # The Sentinels still name a primary that crashed while its replica runs
  # (up.sh again within their 5 s): its AOF may lack the last second that
  # the replica has, every acknowledged write among it. Have them promote
  # the replica now rather than start the old primary over it.
  if [ -n "$current" ] && ! alive "$dir/$primary.pid" && alive "$dir/$replica.pid"; then
    redis-cli -p "$(cat "$dir/sentinel-$i.port")" sentinel failover "gnlc-$1" >/dev/null
    promoted() {
      [ "$(redis-cli -p "$(cat "$dir/sentinel-$i.port")" sentinel get-master-addr-by-name \
        "gnlc-$1" | tail -1)" = "$(cat "$dir/$replica.port")" ]
    }
    wait_for 60 "the Sentinels to promote $replica of $1" promoted
    local was="$primary"
    primary="$replica" replica="$was"
  fi
  start_redis "$1" "$2" "$primary"
  start_redis "$1" $(($2 + 10)) "$replica" "$primary"
  for i in 1 2 3; do
    alive "$dir/sentinel-$i.pid" && continue
    if [ -f "$dir/sentinel-$i.port" ] && port_free "$(cat "$dir/sentinel-$i.port")"; then
      port=$(cat "$dir/sentinel-$i.port")
    else
      port=$(pick_port $(($2 + 20 + i)))
    fi
    # Written anew each start (Sentinel rewrites it as it learns).
    (umask 077 && cat >"$dir/sentinel-$i.conf" <<SENTINEL
port $port
bind 127.0.0.1
dir $dir
sentinel monitor gnlc-$1 127.0.0.1 $(cat "$dir/$primary.port") 2
sentinel auth-user gnlc-$1 admin
sentinel auth-pass gnlc-$1 $(cat "$pki/$1/redis/admin.password")
sentinel down-after-milliseconds gnlc-$1 5000
sentinel failover-timeout gnlc-$1 20000
SENTINEL
    )
    redis-server "$dir/sentinel-$i.conf" --sentinel --daemonize yes \
      --pidfile "$dir/sentinel-$i.pid" --logfile "$dir/sentinel-$i.log"
    echo "$port" >"$dir/sentinel-$i.port"
    wait_for 10 "sentinel $i of $1" redis-cli -p "$port" ping
  done
}

# How the services of CITY reach its Redis.
redis_address() {
  local dir="$run/$1"
  if [ "${GNLC_REDIS_HA:-0}" = 1 ]; then
    echo "sentinel:gnlc-$1@127.0.0.1:$(cat "$dir/sentinel-1.port"),127.0.0.1:$(cat "$dir/sentinel-2.port"),127.0.0.1:$(cat "$dir/sentinel-3.port")"
  else
    echo "127.0.0.1:$(cat "$dir/redis.port")"
  fi
}

start_service() {  # start_service CITY SERVICE
  local dir="$run/$1" svc="$2"
  if alive "$dir/$svc.pid" && [ -f "$dir/$svc.ports" ]; then return 0; fi
  rm -f "$dir/$svc.ports"
  local extra=()
  if [ "$svc" != catalog ]; then extra+=(--catalog="127.0.0.1:$(cut -d' ' -f1 "$dir/catalog.ports")"); fi
  # Analytics reads the enrollment records when it recounts what it missed.
  if [ "$svc" = analytics ]; then extra+=(--enrollment="127.0.0.1:$(cut -d' ' -f1 "$dir/enrollment.ports")"); fi
  if [ "$svc" = analytics ] || [ "$svc" = catalog ]; then
    # Its peer port (mutual TLS) is fixed up front so that the other city can
    # name it: analytics for CompareCities, catalog for harvesting.
    local peers="" other
    for other in "${cities[@]}"; do
      [ "$other" = "$1" ] || peers+="${peers:+,}$other=127.0.0.1:$(cat "$run/$other/$svc.port")"
    done
    if [ "$svc" = analytics ]; then
      extra+=(--peer_port="$(cat "$dir/analytics.port")" --peer_analytics="$peers")
    else
      extra+=(--peer_port="$(cat "$dir/catalog.port")" --peer_catalogs="$peers")
    fi
  fi
  # Shared by the city's services and replicas: page tokens of one work on all.
  GNLC_PAGE_TOKEN_SECRET="$(page_token_secret "$1")" setsid nohup "$build/services/$svc/gnlc-$svc" \
    --config="$root/deploy/cities/$1.json" --secrets_dir="$pki/$1" \
    --redis="$(redis_address "$1")" \
    --port_file="$dir/$svc.ports" "${extra[@]}" >>"$dir/$svc.log" 2>&1 </dev/null &
  echo $! >"$dir/$svc.pid"
  wait_for 10 "$svc of $1 to listen" test -s "$dir/$svc.ports"
}

# Peer ports are chosen before anything starts: each city's analytics calls
# the others' (CompareCities), each catalog harvests the others' feeds, and
# they get those addresses as flags.
base=17379
for city in "${cities[@]}"; do
  mkdir -p "$run/$city"
  for svc in analytics catalog; do
    f="$run/$city/$svc.port"
    if ! { [ -f "$f" ] && { alive "$run/$city/$svc.pid" || port_free "$(cat "$f")"; }; }; then
      pick_port "$base" >"$f"
    fi
    base=$((base + 10))
  done
  base=$((base + 80))
done

base=16379
for city in "${cities[@]}"; do
  if [ "${GNLC_REDIS_HA:-0}" = 1 ]; then start_redis_ha "$city" "$base"; else start_redis "$city" "$base"; fi
  base=$((base + 100))
  for svc in "${services[@]}"; do start_service "$city" "$svc"; done
done

# Every service SERVING (index built, Redis reachable), then demo data.
for city in "${cities[@]}"; do
  for svc in "${services[@]}"; do
    addr="127.0.0.1:$(cut -d' ' -f1 "$run/$city/$svc.ports")"
    wait_for 30 "$svc of $city to be SERVING" serving "$city" "$addr"
  done
  "$build/tools/demo/gnlc-demo-load" --ca="$pki/$city/tls/ca.crt" --token_file="$(admin_token "$city")" \
    --addr="127.0.0.1:$(cut -d' ' -f1 "$run/$city/catalog.ports")" \
    --enrollment="127.0.0.1:$(cut -d' ' -f1 "$run/$city/enrollment.ports")" \
    --partnership="127.0.0.1:$(cut -d' ' -f1 "$run/$city/partnership.ports")" \
    --config="$root/deploy/cities/$city.json" --data="$root/deploy/demo/$city.json"
done

# Once both cities have partners: Nanjing's cross-city partnership with a
# Suzhou member (skipped if it exists).
"$build/tools/demo/gnlc-demo-load" --config="$root/deploy/cities/nanjing.json" \
  --ca="$pki/nanjing/tls/ca.crt" --token_file="$(admin_token nanjing)" \
  --peer_ca="$pki/suzhou/tls/ca.crt" --peer_token_file="$(admin_token suzhou)" \
  --partnership="127.0.0.1:$(cut -d' ' -f1 "$run/nanjing/partnership.ports")" \
  --link_peer="suzhou@127.0.0.1:$(cut -d' ' -f1 "$run/suzhou/partnership.ports")"

# .run/network.json: {"nanjing": {"catalog": "127.0.0.1:PORT"}, ...}
grpc_address() { echo "127.0.0.1:$(cut -d' ' -f1 "$run/$1/$2.ports")"; }
write_network_json "$run/network.json" grpc_address

# Each city's history, 2024 to now, through the import path (docs/guides/history-import.md,
# "Bringing a city's history in"). Written once per run folder; a second
# up.sh finds it imported (the import's checkpoint) and sends nothing.
for city in "${cities[@]}"; do
  history="$run/$city/history"
  if [ ! -f "$history/enrollments.csv" ]; then
    "$build/tools/demo/gnlc-demo-history" --config="$root/deploy/cities/$city.json" --out="$history"
  fi
  echo "Importing $city's history from $history:"
  status=0
  "$ctl" --network="$run/network.json" --pki="$pki" --city="$city" import "$history" || status=$?
  if [ "$status" != 0 ]; then
    echo "up.sh: importing $city's history failed (exit $status)" >&2
    exit 1
  fi
done

echo
echo "gnlc network is up (run folder: $run)"
for city in "${cities[@]}"; do
  echo "  $city: redis 127.0.0.1:$(cat "$run/$city/redis.port")  (users: $pki/$city/redis; as admin: redis-cli -p $(cat "$run/$city/redis.port") --user admin --pass \$(cat $pki/$city/redis/admin.password))"
  if [ "${GNLC_REDIS_HA:-0}" = 1 ]; then
    echo "    redis with a replica (127.0.0.1:$(cat "$run/$city/redis-replica.port")), services reach it as $(redis_address "$city")"
  fi
  for svc in "${services[@]}"; do
    read -r grpc admin peer _ <"$run/$city/$svc.ports"
    peers=""
    [ "${peer:-0}" = 0 ] || peers="   peers (mutual TLS) 127.0.0.1:$peer"
    echo "    $svc  gRPC (TLS) 127.0.0.1:$grpc   admin http://127.0.0.1:$admin/metrics$peers"
  done
  # HTTPS for analysts and city admins: a sign-in link carries a token in
  # its fragment (never sent to a server); the development CA is not the
  # browser's, so it warns once.
  web="https://127.0.0.1:$(cut -d' ' -f4 "$run/$city/analytics.ports")"
  echo "    dashboard  $web/dashboard  (analysts and city admins; a sign-in link:"
  echo "               echo \"$web/login#token=\$($ctl token --city=$city --role=analyst --sub=analyst-1)\")"
done
# Each catalog mirrors the other city's (mutual TLS, development network
# CA): wait until both mirrors have caught up, then show where they stand.
peer_status() {  # peer_status CITY -> the JSON of ListPeerStatuses
  "$ctl" --city="$1" catalog.ListPeerStatuses "{\"parent\":\"cities/$1\"}" 2>/dev/null
}
caught_up() { peer_status "$1" | grep PEER_STATE_CAUGHT_UP >/dev/null; }
for city in "${cities[@]}"; do
  wait_for 30 "$city's mirror of its peers to catch up" caught_up "$city"
done
echo
echo "Federation (each catalog's mirror of its peers):"
for city in "${cities[@]}"; do
  # Shown for people; a slow answer (a loaded machine) does not fail the launcher.
  "$ctl" --city="$city" --timeout_ms=20000 peers 2>/dev/null | sed "s/^/  $city: /" ||
    echo "  $city: (peer status not available yet: $ctl --city=$city peers)"
done
echo
echo "Endpoints: $run/network.json; development CA, certificates and token issuers: $pki.  Try:"
echo "  $ctl --city=nanjing catalog.SearchPrograms '{\"parent\":\"cities/nanjing\",\"query\":\"书法\"}'"
echo "  $ctl --city=nanjing catalog.SearchPrograms '{\"parent\":\"cities/nanjing\",\"query\":\"园林\",\"scope\":\"SEARCH_SCOPE_NETWORK\"}'"
echo "  $ctl --city=nanjing peers"
echo "Watch Nanjing's notifications as its mobile backend would (JSON lines; Ctrl-C stops; --cursor=C resumes):"
echo "  $ctl --city=nanjing --token=\"\$($ctl token --city=nanjing --role=mobile_backend --sub=nanjing-app)\" subscribe --replay"
echo "Stop with deploy/local/down.sh"
