#!/usr/bin/env bash
# Numeric probes of SuperTransformer training (model module), on the bundled testdata/multi30k slice.
# usage: launch/bench/overfit.sh overfit [PAIRS STEPS LR largest|smallest|random|e96|h2|d1]
#        launch/bench/overfit.sh train OUTDIR VOCAB STEPS MAXTOK LR WARMUP CLIP DROPOUT SANDWICH   (Trainer, tiny space)
#        launch/bench/overfit.sh probe SHARDS STEPS   (prints every update whose gradients are NaN or > 1e3)
# One intra-op thread; the machine is shared, so times are noisy.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:-overfit}; shift || true
. launch/bench/lib.sh
CP=$(bench_classpath model)
J="java -Xmx3g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp $CP io.hatflow.model.train.OverfitBench"
case "$MODE" in
  overfit) $J "${@:-50}" ;;
  train|probe) $J "$MODE" "$@" ;;
  *) echo "unknown mode $MODE"; exit 2 ;;
esac
