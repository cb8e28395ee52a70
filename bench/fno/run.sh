#!/usr/bin/env bash
# FNO benchmark, kono vs neuraloperator side by side in one run (issue 5, "Performance").
#
#   KONO_PEERS_VENV=/path/to/venv bench/fno/run.sh            # full run, prints a markdown table
#   SIZES="16:1000:64" REPEATS=1 bench/fno/run.sh              # quick
#
# * neuraloperator runs from a private virtual environment OUTSIDE the repository
#   (${KONO_PEERS_VENV:-$HOME/.cache/kono/peers-venv}); torch, neuraloperator and h5py are
#   installed there with pip if missing. Nothing in kono's build or CI uses it.
# * kono's bench_fno is built in ${KONO_BENCH_BUILD:-<repo>/build-bench} (Release).
# * Same model (neuralop's Darcy tutorial FNO, 191,881 parameters), same data, same batch,
#   AdamW (neuralop's, lr 1e-2, wd 1e-4) and relative H1 loss in both. Per size and repeat it
#   runs: neuralop with torch's default threads, neuralop with 1 thread, kono on 1 rank and kono
#   on 2 MPI ranks (data-parallel), interleaved so load changes hit all alike. Warm-up epochs and
#   warm-up inference passes are excluded. Results: $OUT/results.jsonl, table: $OUT/table.md.
#
# Knobs (environment): SIZES ("res:samples:batch ..."), REPEATS, EPOCHS (timed epochs per run),
# INFER_REPEATS, SPECTRAL_REPEATS, KONO_DARCY16 (darcy_16.h5), OUT, NP2_ARGS (mpiexec flags),
# PEERS_1THREAD=0 to skip the 1-thread torch run, SKIP_BUILD=1 to time the existing bench_fno.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
venv=${KONO_PEERS_VENV:-$HOME/.cache/kono/peers-venv}
build=${KONO_BENCH_BUILD:-$src/build-bench}
data=${KONO_DARCY16:-$src/../shared/data/darcy_16.h5}
sizes=${SIZES:-"16:1000:64 64:128:64 256:16:16"}
repeats=${REPEATS:-2}
epochs=${EPOCHS:-1}
infer_repeats=${INFER_REPEATS:-2}
spectral_repeats=${SPECTRAL_REPEATS:-10}
out=${OUT:-$build/fno-bench}
np2_args=${NP2_ARGS:-"--allow-run-as-root --oversubscribe"}
mkdir -p "$out"

# 1. Private venv with torch (CPU use) and neuraloperator.
if ! "$venv/bin/python" -c "import torch, neuralop, h5py" 2>/dev/null; then
  echo "[bench/fno] installing torch, neuraloperator, h5py into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet torch neuraloperator h5py
fi
py="$venv/bin/python"

# 2. kono's bench_fno (Release).
bench="$build/tests/bench/bench_fno"
if [ "${SKIP_BUILD:-0}" != 1 ]; then  # SKIP_BUILD=1: use the existing binary as is
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -Dkono_ENABLE_TESTS=ON -Dkono_ENABLE_BENCHMARKS=ON \
      > "$out/configure.log" 2>&1
  fi
  cmake --build "$build" --target bench_fno -j2 > "$out/build.log" 2>&1 || { tail -20 "$out/build.log" >&2; exit 1; }
fi
[ -x "$bench" ] || { echo "[bench/fno] $bench not built" >&2; exit 1; }

# 3. Structure checks (parameter counts) and machine notes.
results="$out/results.jsonl"
: > "$results"
"$py" "$here/neuralop_fno.py" --check >> "$results"
{
  echo "{\"kind\": \"machine\", \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\", \"cores\": $(nproc), \"date\": \"$(date -u +%FT%TZ)\", \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"git\": \"$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$src" diff --quiet -- operators/src/layers/spectral_conv.cpp 2>/dev/null || echo +local)\"}"
} >> "$results"

# 4. Side by side, interleaved.
for rep in $(seq 1 "$repeats"); do
  for spec in $sizes; do
    IFS=: read -r res samples batch <<< "$spec"
    common=(--res "$res" --samples "$samples" --batch "$batch" --epochs "$epochs" --infer-repeats "$infer_repeats"
            --spectral-repeats "$spectral_repeats")
    [ "$res" = 16 ] && common+=(--data "$data")
    echo "[bench/fno] repeat $rep, ${res}^2, $samples samples, batch $batch" >&2
    "$py" "$here/neuralop_fno.py" "${common[@]}" | sed "s/^{/{\"rep\": $rep, \"threads_mode\": \"default\", /" >> "$results"
    if [ "${PEERS_1THREAD:-1}" = 1 ]; then
      OMP_NUM_THREADS=1 "$py" "$here/neuralop_fno.py" "${common[@]}" --threads 1 \
        | sed "s/^{/{\"rep\": $rep, \"threads_mode\": \"1\", /" >> "$results"
    fi
    "$bench" "${common[@]}" | sed "s/^{/{\"rep\": $rep, /" >> "$results"
    # 2 ranks: one OpenBLAS thread per rank so the ranks do not oversubscribe the 2 cores.
    # shellcheck disable=SC2086
    OPENBLAS_NUM_THREADS=1 mpiexec -n 2 $np2_args "$bench" "${common[@]}" --no-spectral \
      | sed "s/^{/{\"rep\": $rep, /" >> "$results"
  done
done

"$py" "$here/make_table.py" "$results" | tee "$out/table.md"
