#!/usr/bin/env bash
# Learned stencils / TSM on 2-D Kolmogorov flow at Re 1000 (issue 23): DNS data -> training of
# learned interpolation (LI) and TSM at 32^2 and 64^2 (and a CAPE model over two viscosities) ->
# rollouts against the classical coarse solver at 32^2 ... 256^2: highly-correlated duration and
# wall time per simulated time unit. Prints the tables of docs/stencil.md.
#
#   bench/stencil/run.sh                       # everything (about 1 h on 2 cores)
#   STAGES="rollout" bench/stencil/run.sh      # only the rollouts of already trained models
#
# Environment: KONO (kono binary), OUT (work dir), NP (ranks), STAGES (data train rollout),
# DNS (DNS resolution, 256), WARMUP (time units, 10), TRAIN_SAMPLES/TEST_SAMPLES (4/4),
# TRAIN_STEPS/TEST_STEPS (snapshot intervals of 0.07), EPOCHS32/64, UNROLL32/64, HIDDEN, LAYERS, SUBSTEPS32,
# SUBSTEPS64, STRIDE32/STRIDE64 (snapshots between training windows), MODELS (li32 tsm32 li64 tsm64 cape32).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KONO=${KONO:-$here/../../build/bin/kono}
OUT=${OUT:-/tmp/kono_bench_stencil}
NP=${NP:-2}
STAGES=${STAGES:-"data train rollout"}
DNS=${DNS:-256}
WARMUP=${WARMUP:-10}
TRAIN_SAMPLES=${TRAIN_SAMPLES:-4}
TEST_SAMPLES=${TEST_SAMPLES:-4}
TRAIN_STEPS=${TRAIN_STEPS:-172}
TEST_STEPS=${TEST_STEPS:-115}
EPOCHS32=${EPOCHS32:-12}
UNROLL32=${UNROLL32:-1,4,8,16}
EPOCHS64=${EPOCHS64:-6}
UNROLL64=${UNROLL64:-1,4,8}
HIDDEN=${HIDDEN:-32}
LAYERS=${LAYERS:-4}
SUBSTEPS32=${SUBSTEPS32:-2}
SUBSTEPS64=${SUBSTEPS64:-4}
MODELS=${MODELS:-"li32 tsm32 li64 tsm64 cape32"}
ROLLOUT_STEPS=${ROLLOUT_STEPS:-100}
STRIDE32=${STRIDE32:-2}
STRIDE64=${STRIDE64:-4}
mpi=(mpiexec -n "$NP")
[ "$(id -u)" = 0 ] && mpi+=(--allow-run-as-root --oversubscribe)
mkdir -p "$OUT"
cd "$OUT"
stage() { [[ " $STAGES " == *" $1 "* ]]; }

gen() {  # gen FILE GROUP SAMPLES SEED STEPS [extra...]
  local f=$1 g=$2 n=$3 s=$4 t=$5
  shift 5
  [ -f "$f" ] && { echo "# $f exists, kept"; return; }
  "${mpi[@]}" "$KONO" generate navier-stokes --ns.forcing=kolmogorov --resolution="$DNS" --ns.coarse=32,64,128,256 \
    --ns.warmup="$WARMUP" --ns.steps_out="$t" --ns.store_dns=none --dtype=float32 --samples="$n" --seed="$s" \
    --group="$g" --out="$f" "$@"
}

if stage data; then
  gen train.h5 train "$TRAIN_SAMPLES" 0 "$TRAIN_STEPS"
  gen test.h5 test "$TEST_SAMPLES" 1000 "$TEST_STEPS"
  # CAPE: two viscosities around the test set's 1e-3 (Re 1430 and 710), evaluated at 1e-3 (out of distribution).
  gen train_nu.h5 train "$TRAIN_SAMPLES" 2000 "$TRAIN_STEPS" --ns.nu=7e-4,1.4e-3
fi

train() {  # train NAME TYPE N SUBSTEPS STRIDE DATA [extra...]
  local name=$1 type=$2 n=$3 sub=$4 stride=$5 data=$6
  shift 6
  local epochs=$EPOCHS32 unroll=$UNROLL32
  [ "$n" = 64 ] && { epochs=$EPOCHS64; unroll=$UNROLL64; }
  [ -f "$name.h5" ] && { echo "# $name.h5 exists, kept"; return; }
  /usr/bin/time -f "# $name: %e s training" "${mpi[@]}" "$KONO" train --data.file="$data" --data.test_file=test.h5 \
    --model.type="$type" --data.coarse="$n" --model.substeps="$sub" --model.hidden_channels="$HIDDEN" \
    --model.layers="$LAYERS" --train.unroll="$unroll" --train.epochs="$epochs" --train.batch_size=8 \
    --train.window_stride="$stride" --schedule.lr=1e-3 --schedule.T_max="$epochs" --train.seed=0 --out="$name.h5" "$@"
}

if stage train; then
  for m in $MODELS; do
    case $m in
      li32) train li32 learned_stencil 32 "$SUBSTEPS32" "$STRIDE32" train.h5 ;;
      tsm32) train tsm32 tsm 32 "$SUBSTEPS32" "$STRIDE32" train.h5 ;;
      li64) train li64 learned_stencil 64 "$SUBSTEPS64" "$STRIDE64" train.h5 ;;
      tsm64) train tsm64 tsm 64 "$SUBSTEPS64" "$STRIDE64" train.h5 ;;
      cape32) train cape32 tsm 32 "$SUBSTEPS32" "$STRIDE32" train_nu.h5 --model.attention=true ;;
    esac
  done
fi

if stage rollout; then
  have() { for f; do [ -f "$f" ] || return 1; done; }
  # Correlation on 32^2: every method's state restricted to the 32^2 MAC grid (exact face averages).
  cmp32="classical@64,classical@128,classical@256"
  for m in tsm32 cape32; do have "$m.h5" && cmp32="$m.h5,$cmp32"; done
  have li32.h5 && "${mpi[@]}" "$KONO" rollout --model=li32.h5 --compare="$cmp32,classical@32" --data.file=test.h5 \
    --data.coarse=32 --steps="$ROLLOUT_STEPS" --out=rollout32 --export_every=5
  cmp64="classical@128,classical@256"
  have tsm64.h5 && cmp64="tsm64.h5,$cmp64"
  have li64.h5 && "${mpi[@]}" "$KONO" rollout --model=li64.h5 --compare="$cmp64,classical@64" --data.file=test.h5 \
    --data.coarse=64 --steps="$ROLLOUT_STEPS" --out=rollout64 --export_every=5
  python3 - <<'PY'
import json, os
for d in ("rollout32", "rollout64"):
    p = os.path.join(d, "rollout.json")
    if not os.path.exists(p):
        continue
    r = json.load(open(p))
    print(f"\n# measured on the {r['measurement_grid']}^2 grid, {r['samples']} test trajectories, "
          f"{r['steps']} steps of {r['snapshot_interval']:.3g}, {r['ranks']} rank(s)")
    print("| method | grid | solver steps per 0.07 | highly-correlated duration (mean, min-max) | s per time unit and trajectory |")
    print("| --- | --- | --- | --- | --- |")
    for m in r["methods"]:
        d_ = m["durations"]
        print(f"| {m['label']} | {m['grid']} | {m['substeps']} | {m['highly_correlated_duration']:.2f} "
              f"({min(d_):.2f}-{max(d_):.2f}){' (horizon)' if m['highly_correlated_duration'] >= m['horizon'] else ''} "
              f"| {m['seconds_per_time_unit']:.4f} |")
PY
fi
