#!/usr/bin/env bash
# Runs one Beam job on the standalone Flink cluster (launch/flink-cluster.sh) and on Flink [local], both at
# parallelism 2, and prints both job times (client wall clock, JVM start and jar staging included).
#
#   launch/bench/cluster.sh                          the ClusterSmoke word count (the default job)
#   launch/bench/cluster.sh CLASS [ARGS...]          a main class in pipelines/target/hatflow.jar
#   launch/bench/cluster.sh CMD [ARGS...]            any command (e.g. launch/hatflow search --spec S --run-dir D)
# The runner options --runner=FlinkRunner --flinkMaster=<cluster|[local]> --parallelism=P are appended, and
# "{label}" in any argument becomes cluster-<i> / local-<i> (e.g. --run-dir runs/bench-{label}, so a cached
# stage of one run is not reused by the next).
# Environment: BENCH_REPEATS (default 1; runs alternate cluster/local, medians printed), BENCH_PARALLELISM (2),
# FLINK_REST_PORT (8081), HATFLOW_FLINK_DIR. A cluster that was already running is used and left running;
# one started here is stopped on exit (also on failure or Ctrl-C).
set -euo pipefail
HATFLOW_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAR="$HATFLOW_HOME/pipelines/target/hatflow.jar"
CLUSTER="$HATFLOW_HOME/launch/flink-cluster.sh"
PORT="${FLINK_REST_PORT:-8081}"
P="${BENCH_PARALLELISM:-2}"
REPEATS="${BENCH_REPEATS:-1}"
LOGS="${HATFLOW_FLINK_DIR:-$HATFLOW_HOME/runs/.flink-cluster}/bench"
mkdir -p "$LOGS"

if [ ! -f "$JAR" ]; then
  echo "bench: building $JAR ..." >&2
  (cd "$HATFLOW_HOME" && mvn -B -q -o package -DskipTests) >&2
fi

if [ $# -eq 0 ]; then
  set -- io.hatflow.pipelines.cluster.ClusterSmoke
fi
if [[ "$1" =~ ^[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z_][a-zA-Z0-9_$]*)+$ ]] && [ ! -e "$1" ]; then
  set -- java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$JAR" "$@"
fi

started_here=0
cleanup() { if [ "$started_here" = 1 ]; then "$CLUSTER" stop >&2 || true; fi; }
trap cleanup EXIT
if ! "$CLUSTER" status >/dev/null 2>&1; then
  FLINK_REST_PORT="$PORT" FLINK_SLOTS="$P" "$CLUSTER" start >&2
  started_here=1
fi

# Runs the job once against master $1; prints its seconds; its output goes to $LOGS/<name>-<i>.log.
run_job() {
  local master="$1" log="$2" label t0 t1 a
  label="$(basename "$log" .log)"
  shift 2
  local args=()
  for a in "$@"; do args+=("${a//\{label\}/$label}"); done
  set -- "${args[@]}"
  t0=$(date +%s.%N)
  if ! "$@" --runner=FlinkRunner --flinkMaster="$master" --parallelism="$P" >"$log" 2>&1; then
    echo "bench: job failed on $master (log: $log):" >&2
    grep -v '^\s*at ' "$log" | tail -15 >&2
    exit 1
  fi
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f\n", b - a}'
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "bench: job: $*"
echo "bench: host $(hostname), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: figures are noisy)"
cluster_times=() local_times=()
for i in $(seq "$REPEATS"); do
  t=$(run_job "127.0.0.1:$PORT" "$LOGS/cluster-$i.log" "$@")
  cluster_times+=("$t")
  printf 'run %d: cluster 127.0.0.1:%s p=%s  %8.2f s   %s\n' "$i" "$PORT" "$P" "$t" "$(tail -1 "$LOGS/cluster-$i.log")"
  t=$(run_job "[local]" "$LOGS/local-$i.log" "$@")
  local_times+=("$t")
  printf 'run %d: local   [local]         p=%s  %8.2f s   %s\n' "$i" "$P" "$t" "$(tail -1 "$LOGS/local-$i.log")"
done
mc=$(printf '%s\n' "${cluster_times[@]}" | median)
ml=$(printf '%s\n' "${local_times[@]}" | median)
printf 'median of %d: cluster %.2f s, [local] %.2f s, cluster/local %.2f\n' "$REPEATS" "$mc" "$ml" "$(awk -v a="$mc" -v b="$ml" 'BEGIN {print a / b}')"
