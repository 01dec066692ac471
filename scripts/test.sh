#!/usr/bin/env bash
# Runs the whole test suite, from a fresh Debian 12 machine: installs what is
# missing (as root), builds, then `ctest --output-on-failure`. ctest's summary
# line closes the output and its exit code is this script's.
#   BUILD_DIR            build directory (default: build, in the checkout)
#   CTEST_PARALLEL_LEVEL tests run at once (ctest's own variable; default 1)
# Extra arguments go to ctest, e.g. scripts/test.sh -R wrapper
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
build=${BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build"
cmake --build "$build" -j "$(nproc)"
cd "$build"
exec ctest --output-on-failure "$@"
