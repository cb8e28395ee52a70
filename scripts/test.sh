#!/usr/bin/env bash
# The whole test suite from a fresh clone: install missing Debian packages, configure with
# every dependency required (Google Benchmark too) and warnings as errors, build, run ctest (unit, MPI np1/np2,
# CLI, header, CMake and install tests). Extra arguments go to ctest (e.g. -L quick).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KONO_BUILD_DIR:-$here/build}
jobs=${KONO_JOBS:-$(nproc)}

"$here/scripts/setup-deps.sh"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -Dkono_WERROR=ON -Dkono_ENABLE_TESTS=ON -Dkono_ENABLE_BENCHMARKS=ON
cmake --build "$build" -j "$jobs"
cd "$build"
# Tests that share files or ranks are independent; two at a time fits the 2-core machine.
ctest --output-on-failure -j "$jobs" "$@"
