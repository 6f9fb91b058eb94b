#!/usr/bin/env bash
# Prepare throughput: Multi30k en-de train (29,000 pairs) and 10x / 100x copies, on DirectRunner and Flink [local]
# p=1 and p=2. Prints pairs/s, the p2/p1 speed-up, linearity net of start-up, and an extrapolation to 4.5M pairs.
# Usage: launch/bench/prepare.sh [SIZES=1,10,100] [RUNNERS=direct:10,flink1,flink2] [REPS=3]
# RUNNER:K caps a runner at the K-times corpus (e.g. flink1:10,flink2 runs 100x on flink2 only). The DirectRunner
# keeps everything in memory and is slow on big inputs: hence direct:10 by default.
# Linear means: 100x time minus the fixed start-up (the 200-pair run) <= 1.1 x 100 x (1x time minus start-up).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-/work/shared/data/multi30k}
SIZES=${1:-1,10,100}
RUNNERS=${2:-direct:10,flink1,flink2}
REPS=${3:-3}
WORK=${WORK:-$(mktemp -d /tmp/prepare-bench.XXXXXX)}
[ -f "$DATA/train.en.gz" ] || { echo "no Multi30k at $DATA (set DATA=...)" >&2; exit 2; }
. launch/bench/lib.sh
CP=$(bench_classpath pipelines)
bench_cpu
java -Xmx${HEAP:-8g} -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$CP" \
  io.hatflow.pipelines.prepare.PrepareBench "$DATA" "$WORK" "$SIZES" "$RUNNERS" "$REPS"
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (shared machine: figures are noisy)"
rm -rf "$WORK"
