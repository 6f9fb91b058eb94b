#!/usr/bin/env bash
# Measurement noise of the demo's this-cpu target before and after issue 19's part 1: HAT's fixed protocol
# (max_runs = runs, unpinned) vs adaptive runs (until the trimmed mean's 95% CI is within ±2%, at most max_runs)
# with the timing thread pinned to one core. Prints `hatflow latency validate` for each (median trimmed std/mean
# of encoder, decoder, total; runs used; load), the stage's wall time, the CPU and the load average around it.
#
# usage: launch/bench/latency_noise.sh [RUN_DIR]
#   RUN_DIR  optional: a run directory to copy (its latency/ is removed in the copies; it is not changed).
#            Without it, fresh directories: the latency stage needs no data.
# env: SPEC (default launch/specs/demo.yaml), TARGET (default this-cpu), MAX_RUNS (default: the spec's default).
set -euo pipefail
cd "$(dirname "$0")/../.."
SPEC=${SPEC:-launch/specs/demo.yaml}
TARGET=${TARGET:-this-cpu}
W=$(mktemp -d /tmp/hatflow-noise-XXXXXX)
RUNS=$(grep -A3 "name: $TARGET" "$SPEC" | grep -o 'runs: [0-9]*' | head -1 | grep -o '[0-9]*')
echo "# $(grep -m1 'model name' /proc/cpuinfo | tr -s '\t ' ' ')"
echo "# flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_vnni|avx_vnni|fma|amx)' | tr '\n' ' ')"
echo "# machine: $(nproc) cores; governor $(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null || echo unknown); spec $SPEC, target $TARGET, runs $RUNS; work in $W"

measure() { # label, then extra hatflow arguments
  local label=$1; shift
  local dir="$W/$label"
  if [ -n "${RUN_DIR:-}" ]; then cp -a "$RUN_DIR" "$dir"; rm -rf "$dir/latency"; else mkdir -p "$dir"; fi
  echo
  echo "== $label (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
  local t0; t0=$(date +%s.%N)
  launch/hatflow latency measure --spec "$SPEC" --target "$TARGET" --run-dir "$dir" "$@" 2>&1 | grep -v 'wanted, \|CudaUtils\|AutoNonVariableTypeMode\|FileBasedSink' || true
  local t1; t1=$(date +%s.%N)
  printf 'latency stage: %.1f s wall; load after: %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$(cut -d' ' -f1-3 /proc/loadavg)"
  launch/hatflow latency validate --latency "$dir/latency/$TARGET.avro" 2>&1 | grep -v CudaUtils
}

RUN_DIR=${1:-}
launch/hatflow --version >/dev/null 2>&1 || true # builds the jar once, outside the timings
HATFLOW_JAVA_OPTS="${HATFLOW_JAVA_OPTS:--Xmx8g} -Dhatflow.latency.pin=false" \
  measure before --set "targets[0].latency.measure.max_runs=$RUNS"
if [ -n "${MAX_RUNS:-}" ]; then
  measure after --set "targets[0].latency.measure.max_runs=$MAX_RUNS"
else
  measure after
fi
