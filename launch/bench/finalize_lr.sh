#!/usr/bin/env bash
# finalize.lr candidates for mode inherit, scored on VALIDATION loss only (inherited -> fine-tuned, bits).
# Each candidate fine-tunes the winners of a finished demo run (launch/hatflow demo) in a copy of it; the
# default (train.lr / 4, constant after a short warm-up) was chosen this way (README, "Finalize").
#   launch/bench/finalize_lr.sh [RUN_DIR=runs/demo] [LR ...]        default LRs: 0.0005 0.001 0.002 0.004
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN=${1:-runs/demo}
shift || true
LRS=${*:-0.0005 0.001 0.002 0.004}
[ -f "$RUN/search/winners.json" ] || { echo "no finished search in $RUN: run launch/hatflow demo first" >&2; exit 2; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for lr in $LRS; do
  rm -rf "$W/run"; cp -a "$RUN" "$W/run"; rm -f "$W/run/.lock"
  echo "=== finalize.lr $lr"
  launch/hatflow finalize --spec launch/specs/demo.yaml --run-dir "$W/run" --set finalize.lr="$lr" \
      --set finalize.random_subnets=0 --set finalize.beam=1 --set finalize.export=false --force 2>&1 \
    | grep --line-buffered -E "training:|inherited loss" | sed -E 's/, BLEU.*//'
done
