#!/usr/bin/env bash
# Transfer to a new device from K measured rows: for every latency CSV in the given directories (default the
# project's shared HAT latency sets and testdata/latency), leave it out, take K = 20 of its rows (the first 20
# training rows of HAT's split when <stem>_seed0_split.json lies beside it, else of a seeded split), and score
# on its test rows (t) a transfer fit from the other sets of the same search space, (a) the default predictor
# fitted on the same K rows alone, (b) the default fitted on all training rows. Prints JSON lines, then a table
# with the ratio t/b of MAPD. Usage: launch/bench/transfer.sh [DIR...] [--rows K]
set -euo pipefail
cd "$(dirname "$0")/../.."
args=("$@")
if [ ${#args[@]} -eq 0 ] || [[ "${args[0]}" == --* ]]; then
  args=(/work/shared/data/hat-latency testdata/latency "${args[@]}")
fi
grep -m1 'model name' /proc/cpuinfo
grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|avx512f|fma|sse4_2)$' | tr '\n' ' '; echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
. launch/bench/lib.sh
CP=$(bench_classpath model)
exec java -Xmx2g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" io.hatflow.model.predictor.TransferBench \
  "${args[@]}"
