#!/usr/bin/env bash
# Every relative link in the repository's Markdown resolves: the file (or
# folder) exists, and a #fragment names a heading of the file it points to
# (GitHub's anchors: lower case, spaces to '-', punctuation dropped).
# Usage (from CTest): links_test.sh SOURCE_DIR
set -euo pipefail
src="$1"
cd "$src"
failures=0
anchors() {  # anchors FILE: one anchor per heading
  grep -E '^#{1,6} ' "$1" | sed -E 's/^#+ +//' | tr '[:upper:]' '[:lower:]' |
    sed -E 's/[^[:alnum:] _-]//g; s/ /-/g'
}
while IFS= read -r md; do
  dir=$(dirname "$md")
  # Inline links [text](target), not images of remote pages nor code spans.
  while IFS= read -r target; do
    case "$target" in
      http://* | https://* | mailto:*) continue ;;
    esac
    path="${target%%#*}"
    fragment=""
    [[ "$target" == *"#"* ]] && fragment="${target#*#}"
    file="$md"
    if [ -n "$path" ]; then
      file="$dir/$path"
      if [ ! -e "$file" ]; then
        echo "$md: broken link ($target): $file does not exist" >&2
        failures=$((failures + 1))
        continue
      fi
    fi
    if [ -n "$fragment" ] && [ -f "$file" ] && ! anchors "$file" | grep -Fx -- "$fragment" >/dev/null; then
      echo "$md: broken link ($target): no heading '#$fragment' in $file" >&2
      failures=$((failures + 1))
    fi
  done < <(grep -oE '\]\([^) ]+\)' "$md" | sed -E 's/^\]\(//; s/\)$//')
done < <(git ls-files '*.md' 2>/dev/null || find . -name '*.md' -not -path './build*')
if [ "$failures" -gt 0 ]; then
  echo "FAIL: $failures broken links" >&2
  exit 1
fi
echo "every relative link resolves"
