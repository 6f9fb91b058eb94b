#!/usr/bin/env bash
# Latency of exported SubTransformers (model module): DJL vs ONNX Runtime fp32 vs int8 under HAT's protocol,
# the space's largest and smallest configs with random weights (BLEU needs trained winners: not measured here).
# usage: launch/bench/export.sh [SPACE]   env: VOCAB (10000), THREADS (1), RUNS (20), WORK (/tmp/hatflow-bench-export)
#        launch/bench/export.sh --run RUN_DIR   a finished run's finalized models on its test split: same-output
#          rate of ONNX fp32/int8 vs DJL, BLEU and latency per engine (median of REPEATS, default 3), int8 speed-up
#          and BLEU change; env THREADS (1), RUNS (20), BEAM (4), REPEATS (3). For the issue's figure run
#          launch/bench/demo.sh --multi30k first and point --run at that run.
set -euo pipefail
cd "$(dirname "$0")/../.."
SPACE=${1:-hat-wmt-space0}
WORK=${WORK:-/tmp/hatflow-bench-export}
mkdir -p "$WORK"
. launch/bench/lib.sh
CP=$(bench_classpath model)
grep -m1 'model name' /proc/cpuinfo
grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|avx512f|avx512_vnni|avx_vnni|fma|amx)' | tr '\n' ' '; echo
if [ "${1:-}" = "--run" ]; then
  exec java -Xmx6g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" \
    io.hatflow.model.export.OnnxBench winners "$2" "${THREADS:-1}" "${RUNS:-20}" "${BEAM:-4}" "${REPEATS:-3}"
fi
java -Xmx6g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" \
  io.hatflow.model.export.OnnxBench speed "$SPACE" "${VOCAB:-10000}" "${THREADS:-1}" "${RUNS:-20}" "$WORK"
