#!/usr/bin/env bash
# Writes docs/api (or the folder given) from the comments in protos/, after
# a proto changed.
# tests/docs/api_reference_test.sh fails until docs/api matches.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mapfile -t protos < <(cd "$root/protos" && find gnlc -name '*.proto' -not -path 'gnlc/testing/*' | sort)
(cd "$root/protos" && protoc -I . -I /usr/include --include_source_info --include_imports \
  --descriptor_set_out="$tmp/api.pb" "${protos[@]}")
out="${1:-$root/docs/api}"
rm -rf "$out"
/usr/bin/python3 "$root/tools/protodoc/protodoc.py" "$tmp/api.pb" "$out"
