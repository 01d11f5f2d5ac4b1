#!/usr/bin/env bash
# The API reference (docs/api) is what tools/protodoc writes from the protos
# as they are, and every service, RPC, message, field and enum value of the
# contract has a comment saying what it means and its limits (a request or
# response named after an RPC is explained by that RPC's comment).
# Usage (from CTest): api_reference_test.sh SOURCE_DIR
set -euo pipefail
src="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$src/tools/protodoc/update.sh" "$tmp/api"
if ! diff -ru "$src/docs/api" "$tmp/api" >"$tmp/diff"; then
  head -40 "$tmp/diff" >&2
  echo "FAIL: docs/api is not what the protos say: run tools/protodoc/update.sh" >&2
  exit 1
fi
mapfile -t protos < <(cd "$src/protos" && find gnlc -name '*.proto' -not -path 'gnlc/testing/*' | sort)
(cd "$src/protos" && protoc -I . -I /usr/include --include_source_info --include_imports \
  --descriptor_set_out="$tmp/api.pb" "${protos[@]}")
/usr/bin/python3 "$src/tools/protodoc/protodoc.py" "$tmp/api.pb" --undocumented >"$tmp/undocumented"
if [ -s "$tmp/undocumented" ]; then
  echo "FAIL: proto elements without a comment (say what each means and its limits):" >&2
  cat "$tmp/undocumented" >&2
  exit 1
fi
echo "docs/api is current; every proto element is documented"
