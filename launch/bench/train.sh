#!/usr/bin/env bash
# Training / evaluation benchmark of the SuperTransformer (model module).
# usage: launch/bench/train.sh [speed|quality|all]   env: THREADS (2), STEPS (quality, 1200), NTEST (1000),
#        launch/bench/train.sh score RUN_DIR   BLEU of the largest/smallest SubTransformer of a run's train stage
#        DATA (/work/shared/data/multi30k, Multi30k task1 raw .gz), WORK (/tmp/hatflow-bench-train)
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:-all}
THREADS=${THREADS:-2}
DATA=${DATA:-/work/shared/data/multi30k}
WORK=${WORK:-/tmp/hatflow-bench-train}
. launch/bench/lib.sh
CP=$(bench_classpath model)
JAVA="java -Xmx4g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp $CP io.hatflow.model.train.TrainBench"
if [ "$MODE" = score ]; then $JAVA score "$2/prepare" "$2/train" "$THREADS" "${NTEST:-1000}"; exit; fi
if [ ! -f "$DATA/train.en.gz" ]; then echo "no Multi30k in $DATA: cannot run"; exit 2; fi
[ -f "$WORK/shards/train-00000.avro" ] || $JAVA prepare "$DATA" "$WORK/shards" 8000
case "$MODE" in
  speed) $JAVA speed "$WORK/shards" "$THREADS" ;;
  quality) $JAVA quality "$WORK/shards" "$WORK/train" "${STEPS:-1200}" "$THREADS" "${NTEST:-1000}" ;;
  all) $JAVA speed "$WORK/shards" "$THREADS"; $JAVA quality "$WORK/shards" "$WORK/train" "${STEPS:-1200}" "$THREADS" "${NTEST:-1000}" ;;
esac
