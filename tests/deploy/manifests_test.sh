#!/usr/bin/env bash
# Static checks of what cannot run here (no Docker engine, no cluster):
# - each city overlay renders with kustomize (kubectl, offline) and carries
#   the city's namespace, its config, the gRPC readiness probe and Redis AOF;
# - the Dockerfile copies only paths that exist and builds targets that exist;
# - each overlay's city.json is a valid CityConfig for the same city.
# Usage (from CTest): manifests_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
fail() { echo "FAIL: $*" >&2; exit 1; }

if command -v kubectl >/dev/null; then
  for city in nanjing suzhou; do
    out=$(kubectl kustomize "$src/deploy/k8s/overlays/$city") || fail "$city overlay does not render"
    grep -q "namespace: gnlc-$city" <<<"$out" || fail "$city: namespace missing"
    grep -q "\"cityId\": \"$city\"" <<<"$out" || fail "$city: config map lacks the city's config"
    grep -q "service: gnlc.catalog.v1.CatalogService" <<<"$out" || fail "$city: no gRPC readiness probe"
    grep -q "appendonly yes" <<<"$out" || fail "$city: Redis without AOF"
    grep -q "registry.$city.example/gnlc/catalog" <<<"$out" || fail "$city: image not patched"
    grep -q "service: gnlc.enrollment.v1.EnrollmentService" <<<"$out" || fail "$city: no enrollment probe"
    grep -q -- "--catalog=catalog:50051" <<<"$out" || fail "$city: enrollment does not know the catalog"
    grep -q "registry.$city.example/gnlc/enrollment" <<<"$out" || fail "$city: enrollment image not patched"
    grep -q "service: gnlc.partnership.v1.PartnershipService" <<<"$out" || fail "$city: no partnership probe"
    grep -q "registry.$city.example/gnlc/partnership" <<<"$out" || fail "$city: partnership image not patched"
    grep -q "service: gnlc.analytics.v1.AnalyticsService" <<<"$out" || fail "$city: no analytics probe"
    grep -q "registry.$city.example/gnlc/analytics" <<<"$out" || fail "$city: analytics image not patched"
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
grep -q 'add_executable(gnlcctl' "$src/common/ctl/CMakeLists.txt" || fail "no gnlcctl target"

for city in nanjing suzhou; do
  # gnlcctl cannot parse a config; the catalog binary can, and fails fast
  # on a bad one before binding anything.
  cfg="$src/deploy/k8s/overlays/$city/city.json"
  grep -q "\"cityId\": \"$city\"" "$cfg" || fail "$cfg is not $city's"
  if "$build/services/catalog/gnlc-catalog" --config="$cfg" --port=-1 2>"$build/manifests_$city.err"; then
    fail "catalog accepted --port=-1"
  fi
  grep -q -- "--port" "$build/manifests_$city.err" || fail "$city config rejected: $(cat "$build/manifests_$city.err")"
done
echo "manifests: PASS"
