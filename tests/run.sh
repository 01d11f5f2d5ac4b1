#!/usr/bin/env bash
# Installs what the build needs, checks formatting, builds once, and runs
# every test (unit, integration, end-to-end) through CTest, then the
# container test (images and the compose network; GNLC_CONTAINER_TEST=0
# skips it), then every fuzz target for about 20 s (tests/fuzz/run.sh;
# GNLC_FUZZ_SECONDS=0 skips them).
# GNLC_SANITIZE=address,undefined builds and tests with sanitizers in
# build-sanitize/ instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# ccache: paths relative to the checkout, so every clone (CI's included)
# shares one cache instead of rebuilding from scratch.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
deploy/local/install-deps.sh

# Formatting (clang-format, BasedOnStyle: Google): fail on any difference.
mapfile -t sources < <(git ls-files '*.cc' '*.h' 2>/dev/null || find common services deploy tests -name '*.cc' -o -name '*.h')
clang-format --dry-run --Werror "${sources[@]}"

build=build
args=(-DCMAKE_BUILD_TYPE=Release)
if [ -n "${GNLC_SANITIZE:-}" ]; then
  build=build-sanitize
  args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DGNLC_SANITIZE=$GNLC_SANITIZE")
  # Any report fails the test that caused it.
  # (tests/sanitizers/lsan.supp: leaks of libraries, each with its reason.)
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp"
fi
cmake -S . -B "$build" -G Ninja "${args[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" -j2 --output-on-failure --timeout 300

# The container path: images built, the two-city compose network run and
# checked (tests/deploy/compose_test.sh; about 7 minutes on a fresh 2-core
# machine, 1 once the image build is cached). Not under the sanitizers,
# whose build the images do not use.
if [ -z "${GNLC_SANITIZE:-}" ]; then
  if [ "${GNLC_CONTAINER_TEST:-1}" = 0 ]; then
    echo "##### GNLC_CONTAINER_TEST=0: the container test is SKIPPED #####" >&2
  else
    tests/deploy/compose_test.sh "$build"
  fi
fi

# The fuzz targets need a clang build of their own (libFuzzer, ASan, UBSan).
if [ "${GNLC_FUZZ_SECONDS:-20}" != 0 ]; then
  tests/fuzz/run.sh
fi
