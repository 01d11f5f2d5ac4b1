#!/usr/bin/env bash
# Installs the Debian 12 packages gnlc builds, tests and runs with.
# Idempotent: packages already present are skipped, so this is cheap to call
# from every entry point (up.sh, tests/run.sh).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  protobuf-compiler libprotobuf-dev libgrpc++-dev protobuf-compiler-grpc
  libabsl-dev libhiredis-dev redis-server
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus-cpp-dev nlohmann-json3-dev
  libssl-dev curl procps tzdata
  chromium fonts-noto-cjk  # the dashboard test renders the page headless, Chinese included
  poppler-utils  # pdftotext, pdfinfo: the dashboard's printed report is read back as text
  python3-grpcio python3-protobuf  # examples/python: a second gRPC implementation, run by the e2e test
  clang libfuzzer-14-dev  # the fuzz targets (tests/fuzz)
)

# Optional: kubectl renders the kustomize overlays in the manifest test. Any
# kubectl will do; Debian's package conflicts with others that own the same
# path, so it is only installed where there is none, and never fails the run.
optional=()
command -v kubectl >/dev/null 2>&1 || optional+=(kubernetes-client)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && [ ${#optional[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#optional[@]} -gt 0 ]; then
  $sudo apt-get install -y -qq --no-install-recommends "${optional[@]}" >/dev/null 2>&1 ||
    echo "install-deps: optional ${optional[*]} not installed; the manifest test will skip rendering"
fi
# Debian starts a system redis-server on 6379 after install; gnlc runs its own.
if command -v systemctl >/dev/null 2>&1; then $sudo systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
