#!/usr/bin/env bash
# Stability of this machine's latency timings (HAT's protocol as the latency stage runs it): 30 configs of the
# tiny space widened for latency, one libtorch thread, 20 timed runs after 5 warm-up, 30 tokens, beam 5;
# prints the median over rows of the trimmed std / mean (target <= 5%) and the time per config.
# Arguments: [configs=30] [threads=1] [runs=20] [space=tiny] [warmup=5] [vocab=8000]
set -euo pipefail
cd "$(dirname "$0")/../.."
# MeasureBench lives with the tests (not in the jar users run): compile them too.
. launch/bench/lib.sh
CP=$(bench_classpath pipelines)
bench_cpu
exec java -Xmx2g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" \
  io.hatflow.pipelines.latency.MeasureBench "$@" 2> >(grep -v 'AutoNonVariableTypeMode\|CudaUtils' >&2)
