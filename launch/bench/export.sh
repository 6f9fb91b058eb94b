#!/usr/bin/env bash
# Latency of exported SubTransformers (model module): DJL vs ONNX Runtime fp32 vs int8 under HAT's protocol,
# the space's largest and smallest configs with random weights (BLEU needs trained winners: not measured here).
# usage: launch/bench/export.sh [SPACE]   env: VOCAB (10000), THREADS (1), RUNS (20), WORK (/tmp/hatflow-bench-export)
set -euo pipefail
cd "$(dirname "$0")/../.."
SPACE=${1:-hat-wmt-space0}
WORK=${WORK:-/tmp/hatflow-bench-export}
mkdir -p "$WORK"
mvn -B -q -o -pl model -am test-compile
mvn -B -q -o -pl model -am dependency:build-classpath -Dmdep.outputFile="$WORK.cp" >/dev/null
CP="model/target/classes:model/target/test-classes:core/target/classes:schemas/target/classes:$(cat "$WORK.cp")"
java -Xmx6g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" \
  io.hatflow.model.export.OnnxBench speed "$SPACE" "${VOCAB:-10000}" "${THREADS:-1}" "${RUNS:-20}" "$WORK"
