#!/usr/bin/env bash
# The main job on its built-in default: install what is missing, build kono, then `kono run`:
# generate a Darcy training set with PETSc, train an FNO, validate it against fresh PETSc solves
# (at the training resolution and zero-shot at twice it), export fields for ParaView and draw
# PNGs, and print a summary. Output goes to ${KONO_RUN_DIR:-<checkout>/kono_run}.
#   KONO_NP=2 scripts/run.sh            # the same on 2 MPI ranks (mpiexec)
#   scripts/run.sh --train.epochs=30    # extra arguments go to kono run (kono run --help)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KONO_BUILD_DIR:-$here/build}
np=${KONO_NP:-1}

"$here/scripts/setup-deps.sh"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$(nproc)" --target kono_cli
launch=()
if [[ $np -gt 1 ]]; then
  launch=(mpiexec -n "$np")
  [[ $(id -u) -eq 0 ]] && launch+=(--allow-run-as-root)
  [[ $np -gt $(nproc) ]] && launch+=(--oversubscribe)
fi
"${launch[@]}" "$build/bin/kono" run --run.dir="${KONO_RUN_DIR:-$here/kono_run}" "$@"
