#!/usr/bin/env bash
# Issue 17 diagnosis: online iterative DPO under each candidate practice, per-iteration figures
# (bench/fidelity-diagnose.ts). Usage: scripts/fidelity-variants.sh SEED ITERATIONS LABELS OUTDIR [name=patch ...]
set -euo pipefail
seed=$1; iters=$2; labels=$3; out=$4; shift 4
mkdir -p "$out"
for v in "$@"; do
  name=${v%%=*}; patch=${v#*=}
  node -r @swc-node/register bench/fidelity-diagnose.ts --seed "$seed" --iterations "$iters" --labels "$labels" --patch "$patch" > "$out/$name-s$seed-$iters-$labels.txt" 2>&1
done
