#!/usr/bin/env bash
# FNO vs MgNO side by side: same data, optimizer, schedule, loss and epoch budget (the kono
# train defaults: AdamW lr 1e-2 wd 1e-4, cosine T_max 30, batch 64, H1 loss, scalar-normalised
# target). Each model uses its registry defaults. Prints a markdown table from one run.
#
# Sample runs:
#   bench/mgno/compare.sh
#   KONO=build-mgno/bin/kono PARALLEL=1 bench/mgno/compare.sh /work/shared/data/darcy_16.h5
#   MGNO_ARGS="--model.hidden_channels=12" EPOCHS=5 bench/mgno/compare.sh
#
# Environment:
#   KONO       kono binary (default build/bin/kono)
#   EPOCHS     epoch budget (default 15)
#   OUT        directory for model files, curves, logs and metrics (default: a fresh temp dir)
#   FNO_ARGS, MGNO_ARGS   extra options for each kono train
#   EVAL_DATA  file whose /test/x, /test/y the final kono eval reads (default: the data file; e.g.
#              the test file given to training with --data.test_file)
#   MODELS     models to train (default "fno mgno")
#   PARALLEL   1: train the models at the same time, so both see the same load on a shared
#              machine (the s/epoch column then includes that contention); 0 (default): one
#              after the other
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data=${1:-/work/shared/data/darcy_16.h5}
kono=${KONO:-$root/build/bin/kono}
epochs=${EPOCHS:-15}
out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/kono_mgno_compare.XXXXXX")}
models=${MODELS:-fno mgno}
mkdir -p "$out"
[ -x "$kono" ] || { echo "compare.sh: no kono binary at $kono (set KONO)" >&2; exit 1; }
[ -r "$data" ] || { echo "compare.sh: cannot read $data" >&2; exit 1; }

train() {  # model name -> trains it; writes the wall-clock seconds to $out/$m.wall
  local m=$1 extra="" start end
  [ "$m" = fno ] && extra=${FNO_ARGS:-}
  [ "$m" = mgno ] && extra=${MGNO_ARGS:-}
  echo "== $m: kono train (log: $out/$m.train.log)" >&2
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$kono" train --data.file="$data" --model.type="$m" --train.epochs="$epochs" --out="$out/$m.h5" $extra \
    > "$out/$m.train.log" 2>&1
  end=$(date +%s.%N)
  python3 -c "print($end - $start)" > "$out/$m.wall"
}

pids=()
for m in $models; do
  if [ "${PARALLEL:-0}" = 1 ]; then
    train "$m" &
    pids+=($!)
  else
    train "$m"
  fi
done
for p in "${pids[@]}"; do wait "$p"; done

summary='
import json, sys
ev = json.load(open(sys.argv[1]))
sec = [r["seconds"] for r in json.load(open(sys.argv[2]))]
l2, h1, per_epoch, wall = ev["rel_l2"], ev["rel_h1"], sum(sec) / len(sec), float(sys.argv[3])
print(f"| {sys.argv[4]} | {int(sys.argv[5]):,} | {l2:.4f} | {h1:.4f} | {per_epoch:.1f} | {wall:.0f} |")
'
rows=()
for m in $models; do
  "$kono" eval --model="$out/$m.h5" --data.file="${EVAL_DATA:-$data}" --json="$out/$m.eval.json" > "$out/$m.eval.log" 2>&1
  params=$(sed -n 's/.* with \([0-9]*\) parameters.*/\1/p' "$out/$m.train.log" | head -n 1)
  # s/epoch: mean of the learning curve's per-epoch seconds (training plus the test evaluation).
  rows+=("$(python3 -c "$summary" "$out/$m.eval.json" "$out/${m}_curve.json" "$(cat "$out/$m.wall")" "$m" "$params")")
done

echo
echo "data: $data, $epochs epochs, parallel=${PARALLEL:-0}, $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| model | parameters | test rel L2 | test rel H1 | s/epoch | wall s (train) |"
echo "|---|---:|---:|---:|---:|---:|"
for r in "${rows[@]}"; do echo "$r"; done
echo
echo "files: $out" >&2
