#!/usr/bin/env bash
# Builds the libFuzzer targets with clang under ASan and UBSan (build-fuzz/)
# and runs each for GNLC_FUZZ_SECONDS (default 20), two at a time, starting
# from its checked-in seeds (tests/fuzz/corpus/TARGET). The seeds are never
# changed by a run: new inputs go to a scratch folder. A crash, leak, hang
# or sanitizer report fails the run, and its input is copied into the
# target's corpus as a regression seed, to be fixed and committed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
seconds="${GNLC_FUZZ_SECONDS:-20}"
build=build-fuzz
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGNLC_FUZZ=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target gnlc_fuzzers

scratch=$(mktemp -d /tmp/gnlc-fuzz-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1

run_one() {  # run_one TARGET: 0 when clean
  local target="$1" seeds="$root/tests/fuzz/corpus/$1" work="$scratch/$1"
  mkdir -p "$work/corpus" "$work/findings"
  if "$build/tests/fuzz/$target" "$work/corpus" "$seeds" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$work/findings/" >"$work/log" 2>&1; then
    echo "fuzz $target: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" |
      grep -o '[0-9]*$') runs, no finding"
    return 0
  fi
  echo "fuzz $target: FINDING" >&2
  grep -E "ERROR|SUMMARY|runtime error|deadly|Test unit written" "$work/log" | head -20 >&2
  for f in "$work/findings"/*; do
    [ -f "$f" ] || continue
    cp "$f" "$seeds/regression-$(sha1sum "$f" | cut -c1-12)"
    echo "  input kept as $seeds/regression-$(sha1sum "$f" | cut -c1-12)" >&2
  done
  return 1
}
export -f run_one
export root build seconds scratch

mapfile -t targets < <(find "$build/tests/fuzz" -maxdepth 1 -type f -name '*_fuzzer' -printf '%f\n' | sort)
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz targets built" >&2; exit 1; }
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'run_one "$@"' _ {}
