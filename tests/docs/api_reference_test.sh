#!/usr/bin/env bash
# The API reference (docs/api) is what tools/protodoc writes from the protos
# as they are, and no proto element lacks a comment unless it is one of
# those listed in tests/docs/undocumented_protos.txt, written before this
# test: that list may only shrink (an element documented since must leave
# it), and anything new must come with its comment.
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
/usr/bin/python3 "$src/tools/protodoc/protodoc.py" "$tmp/api.pb" --undocumented | sort >"$tmp/now"
sort "$src/tests/docs/undocumented_protos.txt" >"$tmp/allowed"
new=$(comm -23 "$tmp/now" "$tmp/allowed")
gone=$(comm -13 "$tmp/now" "$tmp/allowed")
if [ -n "$new" ]; then
  echo "FAIL: proto elements without a comment (say what each means and its limits):" >&2
  echo "$new" >&2
  exit 1
fi
if [ -n "$gone" ]; then
  echo "FAIL: documented now, so remove from tests/docs/undocumented_protos.txt:" >&2
  echo "$gone" >&2
  exit 1
fi
echo "docs/api is current; $(wc -l <"$tmp/now") proto elements still to document"
