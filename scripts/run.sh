#!/usr/bin/env bash
# The main job on its built-in default. Until `kono run` (generate -> train -> validate ->
# export) lands, this installs what is missing, builds kono and describes the shared Darcy
# data with `kono info`, serially and on 2 MPI ranks.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KONO_BUILD_DIR:-$here/build}

"$here/scripts/setup-deps.sh"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$(nproc)" --target kono_cli
data="$here/../shared/data/darcy_16.h5"
[[ -f "$data" ]] || { echo "run.sh: $data not found (../shared/data beside the checkout)" >&2; exit 1; }
"$build/bin/kono" info "$data"
mpiflags=()
[[ $(id -u) -eq 0 ]] && mpiflags+=(--allow-run-as-root)
mpiexec "${mpiflags[@]}" --oversubscribe -n 2 "$build/bin/kono" info "$data" >/dev/null
echo "run.sh: kono built at $build/bin/kono; it read $data serially and on 2 ranks."
