#!/usr/bin/env bash
# Latency-predictor benchmark: every model (hat-mlp, linear, phys-linear, gbdt, phys-gbdt) on HAT's Xeon
# latency dataset, on HAT's seed-0 split and on seeded 80/10/10 splits (seeds 1,2,3); fit time and batch
# prediction speed (configs/s, one thread). Extra arguments go to LatencyBench, e.g.
#   launch/bench/latency.sh --mlp-seeds 3            # hat-mlp over seeds 0..2 on the given split (HAT's mean of 3)
#   launch/bench/latency.sh --models phys-gbdt,linear
#   launch/bench/latency.sh --all [DIR...]           # every set in DIRs (default: /work/shared/data/hat-latency and
#                                                    # testdata/latency): default vs hat-mlp, mean of 3 seeds, win/lose
#   launch/bench/latency.sh --all DIR --model phys-gbdt-mlp   # another model in the default's place
#   launch/bench/latency.sh --all DIR --no-mlp --seeds 3        # that model alone (fast; no hat-mlp, no win/lose)
# Env: CSV, SPLIT to use other files.
set -euo pipefail
cd "$(dirname "$0")/../.."
CSV=${CSV:-testdata/latency/wmt14ende_cpu_xeon_all.csv}
SPLIT=${SPLIT:-testdata/latency/wmt14ende_cpu_xeon_seed0_split.json}
# LatencyBench lives with the tests (not in the jar users run): compile them too.
. launch/bench/lib.sh
CP=$(bench_classpath model)
bench_cpu
JAVA=(java -Xmx2g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" io.hatflow.model.predictor.LatencyBench)
if [ "${1:-}" = "--all" ]; then
  shift
  dirs=("$@")
  if [ ${#dirs[@]} -eq 0 ] || [[ "${dirs[0]}" == --* ]]; then dirs=(/work/shared/data/hat-latency testdata/latency "$@"); fi
  exec "${JAVA[@]}" --all "${dirs[@]}"
fi
# One libtorch thread: fits and the configs/s figure are single-core numbers. XGBoost runs with nthread=1.
exec java -Xmx2g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" io.hatflow.model.predictor.LatencyBench \
  "$CSV" "$SPLIT" --mlp-lat-norm 300 "$@"
