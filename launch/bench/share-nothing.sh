# Sourced by launch/bench/cluster.sh share-nothing (its functions and variables: HATFLOW, SPEC, BASE, LOGS,
# CLUSTER, run_search, fresh_copy, compare_outputs, median). See the usage there.
# BENCH_FILES_TO_STAGE=JAR stages that jar instead of hatflow-cluster.jar (e.g. pipelines/target/hatflow.jar, the
# full one, for a before/after figure).
SN_GENS="${BENCH_RSS_GENERATIONS:-30}"
W="$HATFLOW_HOME/runs/bench-sn"
# The client's working copies of the HDFS runs: inside the checkout, which the cluster's JVMs cannot see.
export HATFLOW_WORK_DIR="$W/work"
rm -rf "$HATFLOW_WORK_DIR"

echo "bench: cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores;" \
  "flags: $(grep -m1 '^flags' /proc/cpuinfo | grep -oE 'avx[0-9a-z_]*|sse4_2|fma|amx[a-z_]*' | sort -u | paste -sd' ')"
echo "bench: host $(hostname), load $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: figures are noisy)"

sn_started=0
sn_cleanup() { if [ "$sn_started" = 1 ]; then "$CLUSTER" stop --share-nothing >&2 || true; fi; }
trap sn_cleanup EXIT
if ! "$CLUSTER" status --share-nothing > "$LOGS/sn-status.log" 2>&1; then
  "$CLUSTER" start --share-nothing --taskmanagers 2 > "$LOGS/sn-start.log" 2>&1 \
    || { tail -20 "$LOGS/sn-start.log" >&2; echo "bench: the share-nothing cluster did not start" >&2; exit 1; }
  sn_started=1
  "$CLUSTER" status --share-nothing > "$LOGS/sn-status.log" 2>&1
fi
grep -q 'taskmanagers 2,' "$LOGS/sn-status.log" \
  || { cat "$LOGS/sn-status.log" >&2; echo "bench: need a share-nothing cluster of 2 TaskManagers (stop the running one)" >&2; exit 1; }
MASTER="$(sed -n 's/^flinkMaster=//p' "$LOGS/sn-status.log")"
HDFS="$(sed -n 's/^hdfs=//p' "$LOGS/sn-status.log")"
WEBHDFS="$(sed -n 's/^webhdfs=//p' "$LOGS/sn-status.log")"
echo "bench: cluster $MASTER, run directories on $HDFS"

# A fresh copy of the base run at HDFS path $1 (WebHDFS: any HTTP client; CREATE makes parent folders).
hdfs_put_base() {
  local dst="$1" f
  curl -sS -f -X DELETE "$WEBHDFS/webhdfs/v1$dst?op=DELETE&recursive=true&user.name=$(id -un)" >/dev/null
  while read -r f; do
    curl -sS -f -L -X PUT -T "$BASE/$f" -H 'Content-Type: application/octet-stream' \
      "$WEBHDFS/webhdfs/v1$dst/$f?op=CREATE&overwrite=true&user.name=$(id -un)" >/dev/null \
      || { echo "bench: cannot upload $f to $WEBHDFS$dst" >&2; exit 1; }
  done < <(cd "$BASE" && find spec.yaml manifest.json prepare train latency predictor -type f | sort)
}
hdfs_get() { curl -sS -f -L "$WEBHDFS/webhdfs/v1$1?op=OPEN&user.name=$(id -un)"; }

# The search in HDFS run dir $2 at parallelism $3 (more hatflow args after); prints "<wall s> <stage s>".
sn_search() {
  local log="$1" dir="$2" p="$3" t0 t1 stage sets=() kv
  shift 3
  for kv in ${BENCH_SET:-}; do sets+=(--set "$kv"); done
  t0=$(date +%s.%N)
  if ! "$HATFLOW" search --spec "$SPEC" --run-dir "$HDFS$dir" ${sets[@]+"${sets[@]}"} "$@" \
      --runner=FlinkRunner --flinkMaster="$MASTER" --parallelism="$p" \
      ${BENCH_FILES_TO_STAGE:+--filesToStage="$BENCH_FILES_TO_STAGE"} >"$log" 2>&1; then
    echo "bench: the search failed at p=$p (log: $log):" >&2
    grep -v '^\s*at ' "$log" | tail -15 >&2
    exit 1
  fi
  t1=$(date +%s.%N)
  stage=$(grep -o '\[search\] done in [0-9.]*' "$log" | tail -1 | awk '{print $4}')
  awk -v a="$t0" -v b="$t1" -v s="${stage:-0}" 'BEGIN {printf "%.2f %.2f\n", b - a, s}'
}
# Median generation wall time of a search log (the "search gen k/n: ... X.Xs" lines).
gen_median() { grep -o 'evaluated, [0-9]* cache hits, [0-9.]*s' "$1" | awk '{print $5+0}' | median; }

# The reference: DirectRunner, local run directory.
out=$(run_search "$LOGS/sn-direct.log" "$W-direct")
read -r wd sd <<< "$out"
printf 'DirectRunner, local run dir            %8.2f s   (search stage %.2f s)\n' "$wd" "$sd"

declare -a t1s t2s
for i in $(seq "$REPEATS"); do
  for p in 1 2; do
    dir="/bench/sn-p$p-$i"
    hdfs_put_base "$dir"
    out=$(sn_search "$LOGS/sn-p$p-$i.log" "$dir" "$p" --force)
    read -r w s <<< "$out"
    if [ "$p" = 1 ]; then t1s+=("$w"); else t2s+=("$w"); fi
    printf 'run %d: %d TaskManager%s (p=%d), HDFS   %8.2f s   (search stage %.2f s, median generation %.2f s)\n' \
      "$i" "$p" "$([ "$p" = 2 ] && echo s || echo ' ')" "$p" "$w" "$s" "$(gen_median "$LOGS/sn-p$p-$i.log")"
    hdfs_get "$dir/search/winners.json" > "$LOGS/sn-winners-p$p-$i.json"
    cmp -s "$LOGS/sn-winners-p$p-$i.json" "$W-direct/search/winners.json" \
      || { echo "MISMATCH: search/winners.json at p=$p (HDFS $dir) differs from DirectRunner's ($W-direct)"; exit 1; }
  done
done
echo "OK: search/winners.json byte-identical on 1 and 2 TaskManagers (HDFS) and DirectRunner (local);" \
  "winners $(sha256sum "$W-direct/search/winners.json" | cut -c1-12)"

# Fixed cost per generation: the same search again on the same store, every fitness a hit.
out=$(sn_search "$LOGS/sn-again.log" "/bench/sn-p2-1" 2 --force)
read -r w s <<< "$out"
hits=$(grep -o '[0-9]* evaluated' "$LOGS/sn-again.log" | awk '{s+=$1} END {print s+0}')
printf 'fixed cost per generation (p=2, the same search again: %d fitness evaluations, all store hits): median %.2f s; search %.2f s\n' \
  "$hits" "$(gen_median "$LOGS/sn-again.log")" "$s"
# The same with the full jar staged, as before hatflow-cluster.jar existed.
if [ -z "${BENCH_FILES_TO_STAGE:-}" ]; then
  out=$(BENCH_FILES_TO_STAGE="$HATFLOW_HOME/pipelines/target/hatflow.jar" sn_search "$LOGS/sn-again-full.log" "/bench/sn-p2-1" 2 --force)
  read -r w s <<< "$out"
  printf 'fixed cost per generation with the full hatflow.jar (%d MB) staged instead of hatflow-cluster.jar (%d MB): median %.2f s; search %.2f s\n' \
    "$(( $(stat -c %s "$HATFLOW_HOME/pipelines/target/hatflow.jar") / 1000000 ))" \
    "$(( $(stat -c %s "$HATFLOW_HOME/pipelines/target/hatflow-cluster.jar") / 1000000 ))" \
    "$(gen_median "$LOGS/sn-again-full.log")" "$s"
fi

if [ "$SN_GENS" -gt 0 ]; then
  # TaskManager RSS over a long search (small population: the fixed cost per generation dominates).
  dir="/bench/sn-rss"
  hdfs_put_base "$dir"
  mapfile -t tms < <("$CLUSTER" pids | head -2)
  rss() { local p t=0; for p in "${tms[@]}"; do t=$((t + $(awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0))); done; echo $((t / 1024)); }
  : > "$LOGS/sn-rss.tsv"
  ( while sleep 2; do echo "$(date +%s) $(rss)" >> "$LOGS/sn-rss.tsv"; done ) &
  sampler=$!
  BENCH_SET="search.generations=$SN_GENS search.population=8 search.parents=3 search.mutations=3 search.crossovers=2" \
    sn_search "$LOGS/sn-rss.log" "$dir" 2 --force > /dev/null
  kill "$sampler" 2>/dev/null || true
  # RSS when each generation ended (its log line's order matches the sampler's clock only roughly: take the
  # samples in equal slices of the run instead), and the growth between the first and last third.
  awk -v g="$SN_GENS" '{t[NR]=$1; r[NR]=$2} END {
      n = NR; if (n < 6) { print "TaskManager RSS: too few samples"; exit }
      peak = 0; for (i = 1; i <= n; i++) if (r[i] > peak) peak = r[i]
      a = 0; for (i = 1; i <= int(n/3); i++) if (r[i] > a) a = r[i]
      b = 0; for (i = n - int(n/3) + 1; i <= n; i++) if (r[i] > b) b = r[i]
      printf "TaskManager RSS (2 TaskManagers, summed) over a %d-generation search: peak %d MB; peak of the first third %d MB, of the last third %d MB: growth %+.1f MB per generation\n", g, peak, a, b, (b - a) / (g * 2 / 3)
    }' "$LOGS/sn-rss.tsv"
fi

m1=$(printf '%s\n' "${t1s[@]}" | median); m2=$(printf '%s\n' "${t2s[@]}" | median)
printf 'median of %d: 1 TaskManager %.2f s, 2 TaskManagers %.2f s\n' "$REPEATS" "$m1" "$m2"
printf 'speed-up 2v1: %.2f\n' "$(awk -v a="$m1" -v b="$m2" 'BEGIN {print a / b}')"
