#!/usr/bin/env bash
# Runs mobile_backend.py against a city of the local network (deploy/local/up.sh):
# generates the Python stubs from protos/ with Debian's protoc and its gRPC
# plugin, mints development tokens (a resident of the backend's app, and the
# backend itself) with gnlcctl, and reads the addresses from network.json.
# Usage: examples/python/run.sh [CITY] [DISTRICT]   (default nanjing gulou)
# Environment: GNLC_RUN_DIR (default .run), GNLC_BUILD_DIR (default build).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
city="${1:-nanjing}"
district="${2:-gulou}"
run="${GNLC_RUN_DIR:-$root/.run}"
ctl="${GNLC_BUILD_DIR:-$root/build}/tools/gnlcctl/gnlcctl"
backend="$city-app"  # the demo's mobile backend of the city
# A point in the city to search near.
case "$city" in
  suzhou) point=(--latitude=31.32 --longitude=120.63) ;;
  *) point=(--latitude=32.05 --longitude=118.78) ;;
esac

gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
mapfile -t protos < <(cd "$root/protos" && find gnlc -name '*.proto' | sort)
protoc -I "$root/protos" -I /usr/include --python_out="$gen" --grpc_python_out="$gen" \
  --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin "${protos[@]}"

address() {  # address SERVICE
  grep -o "\"$city\": {[^}]*" "$run/network.json" | grep -o "\"$1\": \"[0-9.:]*\"" | grep -o '127[0-9.:]*'
}
# Debian's Python, where python3-grpcio and python3-protobuf are installed.
PYTHONPATH="$gen" /usr/bin/python3 "$root/examples/python/mobile_backend.py" \
  --city="$city" --district="$district" "${point[@]}" \
  --catalog="$(address catalog)" --enrollment="$(address enrollment)" \
  --ca="$run/pki/$city/tls/ca.crt" \
  --resident_token="$("$ctl" --pki="$run/pki" token --city="$city" --role=resident \
    --sub="example-$(date +%s%N)" --backend="$backend")" \
  --backend_token="$("$ctl" --pki="$run/pki" token --city="$city" --role=mobile_backend \
    --sub="$backend")"
