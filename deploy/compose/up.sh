#!/usr/bin/env bash
# Brings up deploy/compose/compose.yaml: Nanjing and Suzhou in containers,
# with development credentials, every service SERVING and the demo data
# loaded through the APIs. Running it again while the network is up is
# harmless (the demo loader creates nothing twice).
#
# Builds the images first where one is missing (deploy/docker/build.sh;
# GNLC_BUILD_IMAGES=1 rebuilds them). Uses nothing built on the host: gnlcctl and the demo loader run
# from the gnlc/gnlcctl image on the host's network.
#
# Environment: GNLC_COMPOSE_RUN (default .run/compose: credentials and
# network.json), GNLC_COMPOSE_PROJECT (default gnlc: names of containers,
# networks, volumes), GNLC_<CITY>_<SERVICE>_PORT and ..._ADMIN_PORT (the
# published ports; compose.yaml has the defaults), GNLC_IMAGE_PREFIX and
# GNLC_IMAGE_TAG (which images).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=common.sh
source "$root/deploy/compose/common.sh"
missing_image() {
  local i
  for i in "${gnlc_images[@]}"; do
    "$ENGINE" image inspect "$(image "$i")" >/dev/null 2>&1 || return 0
  done
  return 1
}
if [ "${GNLC_BUILD_IMAGES:-0}" = 1 ] || missing_image; then "$root/deploy/docker/build.sh"; fi

# Development credentials (kept across runs, as deploy/local/up.sh keeps
# .run/pki), made by gnlcctl in its image as the images' user 10001.
mkdir -p "$run/pki"
chown 10001:10001 "$run" "$run/pki"
tool dev-pki --dir=/gnlc/pki --cities="$(IFS=,; echo "${cities[*]}")" >/dev/null

# Each service's secrets folder gets only what that service reads (the
# paths deploy/cities/CITY.json names, below --secrets_dir).
copy() {  # copy FROM TO: an atomic replace, so a mounted folder sees new files
  install -D -m 0600 -o 10001 -g 10001 "$1" "$2.tmp" && mv -f "$2.tmp" "$2"
}
for city in "${cities[@]}"; do
  pki="$run/pki/$city" secrets="$run/secrets/$city"
  for svc in "${services[@]}"; do
    d="$secrets/$svc"
    copy "$pki/tls/ca.crt" "$d/tls/ca.crt"
    copy "$pki/tls/$svc.crt" "$d/tls/$svc.crt"
    copy "$pki/tls/$svc.key" "$d/tls/$svc.key"
    copy "$pki/redis/$svc.password" "$d/redis/$svc.password"
    copy "$pki/auth/jwks.json" "$d/auth/jwks.json"
    copy "$pki/auth/$svc.token" "$d/auth/$svc.token"
    if [ "$svc" = catalog ] || [ "$svc" = analytics ]; then
      for f in network-ca.crt city.crt city.key; do copy "$pki/federation/$f" "$d/federation/$f"; done
    fi
  done
  copy "$pki/redis/users.acl" "$secrets/redis/users.acl"
  # The servers replicate, and the Sentinels watch, as the admin user.
  copy "$pki/redis/admin.password" "$secrets/redis/admin.password"
  if [ ! -f "$secrets/service.env" ]; then
    # Page tokens are signed with it; every replica of a city shares it.
    (umask 077 && echo "GNLC_PAGE_TOKEN_SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')" \
      >"$secrets/service.env")
  fi
  chown -R 10001:10001 "$secrets"
  find "$secrets" -type d -exec chmod 0700 {} +
done

compose up -d >"$run/compose-up.log" 2>&1 || { cat "$run/compose-up.log" >&2; exit 1; }
write_network_json "$run/network.json" address

# Every service SERVING (index built, Redis reachable), through the image's
# own health check command.
for city in "${cities[@]}"; do
  for svc in "${services[@]}"; do
    wait_for 120 "$city's $svc to be SERVING" serving "$city" "$svc"
  done
done

# Demo data, through the APIs, as up.sh loads it on loopback.
demo() {  # demo CITY ARGS...: gnlc-demo-load with a fresh city_admin token
  local city="$1"
  shift
  tool_sh "gnlcctl token --pki=/gnlc/pki --city=$city --role=city_admin --sub=demo-loader \
    --ttl_seconds=600 >/tmp/token && exec gnlc-demo-load --token_file=/tmp/token \
    --config=/gnlc-src/deploy/cities/$city.json $*"
}
for city in "${cities[@]}"; do
  demo "$city" --ca="/gnlc/pki/$city/tls/ca.crt" --addr="$(address "$city" catalog)" \
    --enrollment="$(address "$city" enrollment)" --partnership="$(address "$city" partnership)" \
    --data="/gnlc-src/deploy/demo/$city.json"
done
tool_sh "gnlcctl token --pki=/gnlc/pki --city=suzhou --role=city_admin --sub=demo-loader \
  --ttl_seconds=600 >/tmp/peer-token && gnlcctl token --pki=/gnlc/pki --city=nanjing \
  --role=city_admin --sub=demo-loader --ttl_seconds=600 >/tmp/token && exec gnlc-demo-load \
  --config=/gnlc-src/deploy/cities/nanjing.json --ca=/gnlc/pki/nanjing/tls/ca.crt \
  --token_file=/tmp/token --peer_ca=/gnlc/pki/suzhou/tls/ca.crt --peer_token_file=/tmp/peer-token \
  --partnership=$(address nanjing partnership) --link_peer=suzhou@$(address suzhou partnership)"

# Each city's history (autumn 2023 to now) through the import path, as up.sh
# loads it; the files are made afresh in the tool container, and a second
# run finds every row unchanged.
for city in "${cities[@]}"; do
  tool_sh "gnlc-demo-history --config=/gnlc-src/deploy/cities/$city.json --out=/tmp/history \
    && exec gnlcctl --city=$city import /tmp/history"
done

# Each catalog mirrors the other city's over the federation network: wait
# until both mirrors have caught up, then show where they stand.
caught_up() { tool --city="$1" peers | grep -q caught_up; }
for city in "${cities[@]}"; do
  wait_for 60 "$city's mirror of its peers to catch up" caught_up "$city"
done

echo
echo "gnlc network is up in containers ($ENGINE, project $project; run folder $run)"
for city in "${cities[@]}"; do
  for svc in "${services[@]}"; do
    echo "  $city $svc  gRPC (TLS) $(address "$city" "$svc")   admin http://$(address "$city" "$svc" admin)/metrics"
  done
  # HTTPS for analysts and city admins; the development CA is not the
  # browser's, so it warns once. A sign-in link carries the token in its
  # fragment, which never reaches a server.
  echo "  $city dashboard  https://$(address "$city" analytics dashboard)/dashboard  (a sign-in link:"
  echo "    echo \"https://$(address "$city" analytics dashboard)/login#token=\$(GNLC_RUN_DIR=$run build/tools/gnlcctl/gnlcctl token --city=$city --role=analyst --sub=analyst-1)\")"
  tool --city="$city" peers | sed "s/^/  $city mirrors: /"
done
echo
echo "Try (gnlcctl from its image, or build/tools/gnlcctl/gnlcctl with GNLC_RUN_DIR=$run):"
echo "  $ENGINE run --rm --network host -v $run:/gnlc:ro -e GNLC_RUN_DIR=/gnlc $(image gnlcctl) \\"
echo "    --city=nanjing catalog.SearchPrograms '{\"parent\":\"cities/nanjing\",\"query\":\"园林\",\"scope\":\"SEARCH_SCOPE_NETWORK\"}'"
echo "Watch Nanjing's notifications as its mobile backend would (JSON lines; Ctrl-C stops):"
echo "  GNLC_RUN_DIR=$run build/tools/gnlcctl/gnlcctl --city=nanjing --token=\"\$(GNLC_RUN_DIR=$run build/tools/gnlcctl/gnlcctl token --city=nanjing --role=mobile_backend --sub=nanjing-app)\" subscribe --replay"
echo "Stop with deploy/compose/down.sh (--volumes also deletes the Redis data)"
