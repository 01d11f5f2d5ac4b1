#!/usr/bin/env bash
# Static checks of what cannot run here (no Docker engine, no cluster):
# - each city overlay renders with kustomize (kubectl, offline) and carries
#   the city's namespace, its config, the gRPC readiness probe and Redis AOF;
# - the Dockerfile copies only paths that exist and builds targets that exist,
#   and has an image target for every name the overlays and compose use, all
#   tagged with the project's version (CMakeLists.txt);
# - each overlay's city.json is a valid CityConfig for the same city, with
#   TLS, an identity provider and federation certificates configured;
# - every service mounts its certificate and token; catalog and analytics
#   the city certificate and a peer port.
# Usage (from CTest): manifests_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
fail() { echo "FAIL: $*" >&2; exit 1; }
root="$src"
# shellcheck source=../../deploy/docker/images.sh
source "$src/deploy/docker/images.sh"
version="$gnlc_version"
[ -n "$version" ] || fail "CMakeLists.txt has no project VERSION"

if command -v kubectl >/dev/null; then
  for city in nanjing suzhou; do
    out=$(kubectl kustomize "$src/deploy/k8s/overlays/$city") || fail "$city overlay does not render"
    grep -q "namespace: gnlc-$city" <<<"$out" || fail "$city: namespace missing"
    grep -q "\"cityId\": \"$city\"" <<<"$out" || fail "$city: config map lacks the city's config"

    grep -A1 -- "- --appendonly" <<<"$out" | grep -q "yes" || fail "$city: Redis without AOF"
    grep -A1 -- "- --maxmemory-policy" <<<"$out" | grep -q "noeviction" || fail "$city: Redis may evict"
    grep -A1 -- "- --maxmemory$" <<<"$out" | grep -q "gb" || fail "$city: Redis without a memory limit"
    grep -q -- "- /etc/gnlc-secrets/users.acl" <<<"$out" || fail "$city: Redis without its users (aclfile)"
    grep -q "requirepass" <<<"$out" && fail "$city: Redis still has one shared password"
    grep -q "REDIS_PASSWORD" <<<"$out" && fail "$city: a service still gets the shared Redis password"
    [ "$(grep -c "path: /healthz" <<<"$out")" -ge 4 ] || fail "$city: not every service has a readiness probe"
    for svc in catalog enrollment partnership analytics; do
      grep -q "secretName: $svc-tls" <<<"$out" || fail "$city: $svc has no TLS certificate mounted"
      grep -q "secretName: $svc-token" <<<"$out" || fail "$city: $svc has no service token mounted"
      grep -q "key: $svc.password" <<<"$out" || fail "$city: $svc has no Redis password of its own"
    done
    [ "$(grep -c "secretName: gnlc-city-tls" <<<"$out")" = 2 ] || fail "$city: catalog and analytics need the city certificate"
    [ "$(grep -c -- "--peer_port=50052" <<<"$out")" = 2 ] || fail "$city: catalog and analytics need a peer port"
    grep -q "GNLC_SECRETS_DIR" <<<"$out" || fail "$city: no secrets folder"
    grep -q -- "--catalog=catalog:50051" <<<"$out" || fail "$city: enrollment does not know the catalog"
    # Who may reach which port: five policies; the admin port only from the
    # city's pods and monitoring, the peer port only from the overlay's peer
    # addresses (not the base's placeholder), the dashboard only from staff.
    [ "$(grep -c "^kind: NetworkPolicy" <<<"$out")" = 5 ] || fail "$city: expected 5 NetworkPolicies"
    policy() {  # policy NAME: that NetworkPolicy's rendered YAML
      awk -v n="$1" '/^---/ { if (p) exit; buf = ""; next }
        { buf = buf $0 "\n" } $0 ~ "^  name: " n "$" { p = 1 }
        END { if (p) printf "%s", buf }' <<<"$out"
    }
    grep -q "gnlc.network/metrics" <<<"$(policy gnlc-admin)" || fail "$city: admin port open beyond monitoring"
    grep -q "port: 9090" <<<"$(policy gnlc-admin)" || fail "$city: no policy for the admin port"
    peers=$(policy gnlc-peers)
    grep -q "port: 50052" <<<"$peers" || fail "$city: no policy for the peer port"
    grep -q "cidr: 192.0.2.0/32" <<<"$peers" && fail "$city: the peer port keeps the base's placeholder"
    grep -q "cidr: " <<<"$peers" || fail "$city: the peer port names no peer addresses"
    grep -q "gnlc.network/staff" <<<"$(policy gnlc-dashboard)" || fail "$city: dashboard open beyond staff"
    grep -q "containerPort: 8443" <<<"$out" || fail "$city: analytics has no dashboard port"
    # Redis highly available: a primary and a replica on different machines,
    # three Sentinels (quorum 2) with their state on a volume, the services
    # finding the primary through them; a disruption budget for every
    # workload, probes and memory limits on every container, and the
    # city's label on the pods (what the network policies admit).
    kind_named() {  # kind_named KIND NAME: that object's rendered YAML
      awk -v k="$1" -v n="$2" '/^---/ { if (p) exit; buf = ""; kind = ""; next }
        { buf = buf $0 "\n" } $0 == "kind: " k { kind = 1 } kind && $0 ~ "^  name: " n "$" { p = 1 }
        END { if (p) printf "%s", buf }' <<<"$out"
    }
    redis=$(kind_named StatefulSet redis)
    grep -q "replicas: 2" <<<"$redis" || fail "$city: Redis without a replica"
    grep -q "requiredDuringSchedulingIgnoredDuringExecution" <<<"$redis" || fail "$city: both Redis servers may share a machine"
    grep -q "readinessProbe" <<<"$redis" && grep -q "livenessProbe" <<<"$redis" || fail "$city: Redis without probes"
    grep -q -- "command: \[gnlc-redis-start\]\|- gnlc-redis-start" <<<"$redis" || fail "$city: Redis not started by gnlc-redis-start"
    grep -q -- "--replica-priority 0" "$src/deploy/redis/gnlc-redis-start" || fail "a replica may be promoted before its first copy"
    sentinels=$(kind_named StatefulSet redis-sentinel)
    grep -q "replicas: 3" <<<"$sentinels" || fail "$city: not three Sentinels"
    grep -q "volumeClaimTemplates" <<<"$sentinels" || fail "$city: Sentinels forget what they decided on a restart"
    grep -q 'sentinel monitor $name $(find_primary) 6379 2' "$src/deploy/redis/gnlc-sentinel-start" || fail "Sentinels without a quorum of 2"
    [ "$(grep -c -- "--redis=sentinel:gnlc@redis-sentinel:26379" <<<"$out")" = 4 ] || fail "$city: not every service finds Redis through the Sentinels"
    [ "$(grep -c "^kind: PodDisruptionBudget" <<<"$out")" = 6 ] || fail "$city: expected 6 disruption budgets"
    [ "$(grep -c "podAntiAffinity" <<<"$out")" = 6 ] || fail "$city: expected anti-affinity on 6 workloads"
    [ "$(grep -c "^          limits:" <<<"$out")" = "$(grep -c "^        image:" <<<"$out")" ] ||
      fail "$city: a container without a memory limit"
    [ "$(grep -c "app.kubernetes.io/part-of: gnlc" <<<"$(awk '/^  template:/,/^    spec:/' <<<"$out")")" -ge 6 ] || fail "$city: pods without the city's label"
    for script in gnlc-redis-lib.sh gnlc-redis-start gnlc-sentinel-start; do
      sh -n "$src/deploy/redis/$script" || fail "$script does not parse"
    done
    # Every image is one deploy/docker/build.sh makes, in the city's registry.
    want=$(for i in analytics catalog enrollment partnership redis; do
      echo "registry.$city.example/gnlc/$i:$version"
    done)
    got=$(awk '$1 == "image:" { print $2 }' <<<"$out" | sort -u)
    [ "$got" = "$want" ] || fail "$city: images are $(echo $got), not $(echo $want)"
  done
else
  echo "kubectl not installed: kustomize rendering skipped"
fi

dockerfile="$src/deploy/docker/Dockerfile"
while read -r path; do
  [ -e "$src/$path" ] || fail "Dockerfile copies missing path $path"
done < <(awk '$1 == "COPY" && $2 !~ /^--from/ { print $2 }' "$dockerfile")
for svc in catalog enrollment partnership analytics; do
  grep -q "add_executable(gnlc-$svc" "$src/services/$svc/CMakeLists.txt" || fail "no gnlc-$svc target"
done
for target in "${gnlc_images[@]}"; do
  grep -qE "^FROM .* AS $target\$" "$dockerfile" || fail "the Dockerfile has no image target $target"
done

# The compose network uses those images at that version, publishes on
# loopback only, and restarts what dies.
compose="$src/deploy/compose/compose.yaml"
while read -r image; do
  [[ "$image" =~ ^\$\{GNLC_IMAGE_PREFIX:-gnlc\}/(catalog|enrollment|partnership|analytics|redis):\$\{GNLC_IMAGE_TAG:-$version\}$ ]] ||
    fail "compose image $image is not one build.sh makes at $version"
done < <(awk '$1 == "image:" { print $2 }' "$compose")
published=$(awk '$1 == "ports:" { p = 1; next } p && $1 == "-" { print $2; next } { p = 0 }' "$compose")
[ "$(wc -l <<<"$published")" = 18 ] || fail "compose should publish gRPC and admin of 8 services and 2 dashboards"
grep -v '^127\.0\.0\.1:' <<<"$published" && fail "compose publishes a port beyond loopback"
[ "$(grep -c 'restart: unless-stopped' "$compose")" = 3 ] || fail "compose services without a restart policy"
# Each city's Redis highly available: a replica and three Sentinels, and
# every service finding the primary through them.
for city in nanjing suzhou; do
  for c in redis-replica sentinel-1 sentinel-2 sentinel-3; do
    grep -q "^  $city-$c:" "$compose" || fail "compose: $city has no $c"
  done
  # Quoted: in a YAML flow sequence its commas would split it in four.
  [ "$(grep -c -- "\"--redis=sentinel:gnlc-$city@$city-sentinel-1:26379,$city-sentinel-2:26379,$city-sentinel-3:26379\"" "$compose")" = 4 ] ||
    fail "compose: not every $city service finds Redis through the Sentinels (quoted)"
done
grep -q -- '--maxmemory-policy, noeviction' "$compose" || fail "compose's Redis may evict"
grep -q 'add_executable(gnlcctl' "$src/tools/gnlcctl/CMakeLists.txt" || fail "no gnlcctl target"

for city in nanjing suzhou; do
  # gnlcctl cannot parse a config; the catalog binary can, and fails fast
  # on a bad one before binding anything.
  cfg="$src/deploy/k8s/overlays/$city/city.json"
  grep -q "\"cityId\": \"$city\"" "$cfg" || fail "$cfg is not $city's"
  for key in '"certFile"' '"jwksFile"' "\"audience\": \"gnlc:$city\"" '"networkCaFile"' \
    '"passwordFile": "redis/{service}.password"'; do
    grep -q "$key" "$cfg" || fail "$cfg lacks $key"
  done
  grep -q '"insecurePlaintext": true' "$cfg" && fail "$cfg turns TLS off"
  if "$build/services/catalog/gnlc-catalog" --config="$cfg" --port=-1 2>"$build/manifests_$city.err"; then
    fail "catalog accepted --port=-1"
  fi
  grep -q -- "--port" "$build/manifests_$city.err" || fail "$city config rejected: $(cat "$build/manifests_$city.err")"
done
echo "manifests: PASS"
