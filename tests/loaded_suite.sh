#!/usr/bin/env bash
# Runs the whole CTest suite again and again on a loaded machine, to find
# tests that pass alone and fail under load (CI shares its cores with
# other work). Usage:
#   tests/loaded_suite.sh BUILD_DIR [ROUNDS] [JOBS] [HOGS]
# ROUNDS runs of `ctest -j JOBS` (default 3 of -j4) with HOGS busy loops
# beside them (default 1: one core spinning, as another job on the
# machine would). Prints each round's failures and, at the end, every
# test that failed at least once; exits 1 if any did.
set -euo pipefail
build="${1:?usage: tests/loaded_suite.sh BUILD_DIR [ROUNDS] [JOBS] [HOGS]}"
rounds="${2:-3}"
jobs="${3:-4}"
hogs="${4:-1}"
log_dir="$(mktemp -d /tmp/gnlc-loaded-suite.XXXXXX)"

hog_pids=()
stop_hogs() { for p in "${hog_pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_hogs EXIT
for ((h = 0; h < hogs; h++)); do
  # A bounded spinner: it stops by itself after two hours at most.
  timeout 7200 sh -c 'while :; do :; done' &
  hog_pids+=("$!")
done

failed_any=0
for ((r = 1; r <= rounds; r++)); do
  start=$(date +%s)
  log="$log_dir/round-$r.log"
  if ctest --test-dir "$build" -j"$jobs" --timeout 600 --output-on-failure >"$log" 2>&1; then
    echo "round $r: all passed ($(($(date +%s) - start)) s)"
  else
    failed_any=1
    echo "round $r: FAILED ($(($(date +%s) - start)) s), log $log"
    sed -n '/The following tests FAILED/,$p' "$log"
  fi
done
echo "logs: $log_dir"
if [ "$failed_any" = 1 ]; then
  echo "tests that failed at least once:"
  cat "$log_dir"/round-*.log | sed -n '/The following tests FAILED/,/^Errors/p' |
    grep -E '^\s+[0-9]+ - ' | sed -E 's/^\s+[0-9]+ - //' | sort | uniq -c
  exit 1
fi
