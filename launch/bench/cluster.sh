#!/usr/bin/env bash
# The standalone Flink cluster (launch/flink-cluster.sh) against Flink [local] and DirectRunner.
#
#   launch/bench/cluster.sh                          the demo SEARCH (launch/specs/demo.yaml) on the cluster, on
#                                                    [local] and on DirectRunner: job times, and the search
#                                                    outputs (winners, Pareto, history) compared byte for byte;
#                                                    prints OK or MISMATCH and exits 1 on a mismatch
#   launch/bench/cluster.sh share-nothing            the demo SEARCH on the share-nothing cluster (launch/flink-cluster.sh
#                                                    start --share-nothing: 2 TaskManagers, one slot each, HDFS) with
#                                                    the run directory on its HDFS: 1 TaskManager (p=1) vs 2 (p=2),
#                                                    winners compared byte for byte with DirectRunner on a local run
#                                                    dir; the per-generation fixed cost (the same search again, every
#                                                    fitness a store hit); the TaskManagers' RSS over a long search
#                                                    (BENCH_RSS_GENERATIONS, default 30; 0 skips it). Ends with the
#                                                    line "speed-up 2v1: X.XX"
#   launch/bench/cluster.sh smoke                    the ClusterSmoke word count (a test class, staged beside the
#                                                    jar), cluster vs [local]
#   launch/bench/cluster.sh CLASS [ARGS...]          a main class in pipelines/target/hatflow.jar, cluster vs [local]
#   launch/bench/cluster.sh CMD [ARGS...]            any command (e.g. launch/hatflow search --spec S --run-dir D)
# The demo search needs the stages before it: they are run once on DirectRunner into $BENCH_BASE (default
# runs/bench-cluster-base; prepare, train ~2-3 min, latency, predictor) and reused while that run is complete.
# Each runner then searches in its own fresh copy of it (no evaluation store, so every runner does all the work).
# For a custom job the runner options --runner=FlinkRunner --flinkMaster=<cluster|[local]> --parallelism=P are
# appended, and "{label}" in any argument becomes cluster-<i> / local-<i> (e.g. --run-dir runs/bench-{label}, so
# a cached stage of one run is not reused by the next).
# Times are client wall clock (JVM start and, on the cluster, jar staging included); for the demo search the
# search stage's own time (from its log) is printed beside it.
# Environment: BENCH_REPEATS (default 1; runs alternate, medians printed), BENCH_PARALLELISM (2), BENCH_BASE,
# BENCH_SET (search overrides for a shorter job, e.g. "search.generations=2 search.population=16"),
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

MODE=custom
if [ $# -eq 0 ]; then
  MODE=demo
elif [ "$1" = share-nothing ]; then
  MODE=share-nothing
  shift
elif [ "$1" = smoke ]; then
  # ClusterSmoke lives with the tests: the shaded jar plus the test classes (Beam stages both on the cluster).
  (cd "$HATFLOW_HOME" && mvn -B -q -o -pl pipelines -am test-compile) >&2
  set -- java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$JAR:$HATFLOW_HOME/pipelines/target/test-classes" \
    io.hatflow.pipelines.cluster.ClusterSmoke
fi
if [ "$MODE" = custom ] && [[ "$1" =~ ^[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z_][a-zA-Z0-9_$]*)+$ ]] && [ ! -e "$1" ]; then
  set -- java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$JAR" "$@"
fi

HATFLOW="$HATFLOW_HOME/launch/hatflow"
SPEC="$HATFLOW_HOME/launch/specs/demo.yaml"
BASE="${BENCH_BASE:-$HATFLOW_HOME/runs/bench-cluster-base}"
# The search's outputs, all written deterministically (fixed Avro sync markers): they must be byte-identical.
COMPARED=(winners.json winners.avro winners pareto.json pareto.avro history.json history.avro)

# The stages before the search, once, on DirectRunner (each cached while its fingerprint holds).
prepare_base() {
  if grep -q '"predictor"' "$BASE/manifest.json" 2>/dev/null && [ -f "$BASE/train/checkpoint.hfc" ] \
      && [ -d "$BASE/predictor" ] && ! grep -q '"status" : "\(running\|failed\)"' "$BASE/manifest.json"; then
    echo "bench: reusing the demo's prepare/train/latency/predictor outputs in $BASE" >&2
    return 0
  fi
  echo "bench: running the demo up to the predictor once into $BASE (DirectRunner; train takes a few minutes) ..." >&2
  local s
  for s in prepare train latency predictor; do
    "$HATFLOW" run --spec "$SPEC" --run-dir "$BASE" --only "$s" > "$LOGS/base-$s.log" 2>&1 \
      || { tail -15 "$LOGS/base-$s.log" >&2; echo "bench: the $s stage failed (log: $LOGS/base-$s.log)" >&2; exit 1; }
  done
}

# A fresh copy of the base run for one search: no search/ (no evaluation store), no lock.
fresh_copy() {
  local dst="$1" f
  rm -rf "$dst"
  mkdir -p "$dst"
  for f in spec.yaml manifest.json prepare train latency predictor; do cp -a "$BASE/$f" "$dst/"; done
}

# The demo search in run dir $2 with Beam options $3...; prints "<wall s> <search stage s>".
run_search() {
  local log="$1" dir="$2" t0 t1 stage
  shift 2
  fresh_copy "$dir"
  t0=$(date +%s.%N)
  local sets=() kv
  for kv in ${BENCH_SET:-}; do sets+=(--set "$kv"); done
  if ! "$HATFLOW" search --spec "$SPEC" --run-dir "$dir" --force ${sets[@]+"${sets[@]}"} "$@" >"$log" 2>&1; then
    echo "bench: the search failed with $* (log: $log):" >&2
    grep -v '^\s*at ' "$log" | tail -15 >&2
    exit 1
  fi
  t1=$(date +%s.%N)
  stage=$(grep -o '\[search\] done in [0-9.]*' "$log" | tail -1 | awk '{print $4}')
  awk -v a="$t0" -v b="$t1" -v s="${stage:-0}" 'BEGIN {printf "%.2f %.2f\n", b - a, s}'
}

# Compares the search outputs of run dir $1 with those of $2; prints one line per differing file.
compare_outputs() {
  local a="$1/search" b="$2/search" f bad=0
  for f in "${COMPARED[@]}"; do
    if [ ! -e "$a/$f" ] && [ ! -e "$b/$f" ]; then continue; fi
    if [ -d "$a/$f" ]; then
      diff -rq "$a/$f" "$b/$f" >/dev/null 2>&1 || { echo "  differs: search/$f (${1##*/} vs ${2##*/})"; bad=1; }
    else
      cmp -s "$a/$f" "$b/$f" || { echo "  differs: search/$f (${1##*/} vs ${2##*/})"; bad=1; }
    fi
  done
  return $bad
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

if [ "$MODE" = demo ] || [ "$MODE" = share-nothing ]; then
  "$HATFLOW" --version >/dev/null # builds the jar first if sources changed (not timed)
  prepare_base
fi

if [ "$MODE" = share-nothing ]; then
  # shellcheck source=launch/bench/share-nothing.sh
  source "$HATFLOW_HOME/launch/bench/share-nothing.sh"
  exit 0
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

if [ "$MODE" = demo ]; then
  W="$HATFLOW_HOME/runs/bench-cluster"
  echo "bench: job: the demo search (launch/specs/demo.yaml: $(grep -A6 '^search:' "$SPEC" | grep -o 'generations: [0-9]*')${BENCH_SET:+, overrides: $BENCH_SET}, 2 targets x 2 budgets) from $BASE"
  echo "bench: host $(hostname), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: figures are noisy)"
  declare -a tc tl td sc sl sd
  for i in $(seq "$REPEATS"); do
    out=$(run_search "$LOGS/search-cluster-$i.log" "$W-cluster" \
      --runner=FlinkRunner --flinkMaster="127.0.0.1:$PORT" --parallelism="$P")
    read -r w s <<< "$out"
    tc+=("$w"); sc+=("$s")
    printf 'run %d: cluster 127.0.0.1:%s p=%s  %8.2f s   (search stage %.2f s)\n' "$i" "$PORT" "$P" "$w" "$s"
    out=$(run_search "$LOGS/search-local-$i.log" "$W-local" \
      --runner=FlinkRunner --flinkMaster="[local]" --parallelism="$P")
    read -r w s <<< "$out"
    tl+=("$w"); sl+=("$s")
    printf 'run %d: local   [local]         p=%s  %8.2f s   (search stage %.2f s)\n' "$i" "$P" "$w" "$s"
    out=$(run_search "$LOGS/search-direct-$i.log" "$W-direct")
    read -r w s <<< "$out"
    td+=("$w"); sd+=("$s")
    printf 'run %d: DirectRunner                 %8.2f s   (search stage %.2f s)\n' "$i" "$w" "$s"
  done
  mc=$(printf '%s\n' "${tc[@]}" | median); ml=$(printf '%s\n' "${tl[@]}" | median); md=$(printf '%s\n' "${td[@]}" | median)
  printf 'median of %d: cluster %.2f s, [local] %.2f s, DirectRunner %.2f s; cluster/[local] %.2f, cluster/Direct %.2f\n' \
    "$REPEATS" "$mc" "$ml" "$md" "$(awk -v a="$mc" -v b="$ml" 'BEGIN {print a / b}')" \
    "$(awk -v a="$mc" -v b="$md" 'BEGIN {print a / b}')"
  if [ ! -f "$W-direct/search/winners.json" ]; then
    echo "MISMATCH: no search/winners.json on DirectRunner"; exit 1
  fi
  ok=1
  compare_outputs "$W-cluster" "$W-direct" || ok=0
  compare_outputs "$W-local" "$W-direct" || ok=0
  present=()
  for f in "${COMPARED[@]}"; do [ -e "$W-direct/search/$f" ] && present+=("$f"); done
  if [ "$ok" = 1 ]; then
    echo "OK: search outputs byte-identical on the cluster, [local] and DirectRunner (${present[*]}); winners $(sha256sum "$W-direct/search/winners.json" | cut -c1-12)"
  else
    echo "MISMATCH: the search outputs above differ between runners (run dirs $W-{cluster,local,direct})"
    exit 1
  fi
  exit 0
fi

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
