#!/usr/bin/env bash
# Search fan-out benchmark: 3 targets x 3 budgets, HAT's sizes (population 125, 30 generations) on the
# tiny space, with SYNTHETIC fitness/latency doubles (the real fitness is plugged in by the lead).
# Prints: candidates/s, distinct evaluations, cache hit rate, evaluations saved vs nine separate searches,
# Flink [local] p=1 vs p=2 wall time and speed-up, share of time in fitness.
# Usage: launch/bench/search.sh [--fitness-ms 5] [--generations 30] [--repeats 1] [--overhead-generations 3] ...
set -euo pipefail
cd "$(dirname "$0")/../.."
# SearchBench lives with the tests (not in the jar users run): compile them too.
. launch/bench/lib.sh
CP=$(bench_classpath pipelines)
bench_cpu
LOGCFG=$(mktemp -d)
printf 'org.slf4j.simpleLogger.defaultLogLevel=error\n' > "$LOGCFG/simplelogger.properties"
exec java -Xmx4g -cp "$LOGCFG:$CP" io.hatflow.pipelines.search.SearchBench "$@"
