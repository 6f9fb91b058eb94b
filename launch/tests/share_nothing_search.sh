#!/usr/bin/env bash
# The demo path on the share-nothing cluster, end to end, with a TaskManager killed mid-search:
#   - a reduced `hatflow demo` on DirectRunner with a local run directory: the reference;
#   - the same spec with its corpus and run directory on the share-nothing HDFS, prepare and search on its Flink
#     cluster (2 TaskManagers that cannot see the client's disk): prepare's records and vocabulary are the
#     reference's;
#   - the search: one TaskManager is killed (kill -9) while generation 2 of 3 runs; the command fails cleanly
#     (exit 1, the stage recorded failed, no Java stack trace as the last word), the lost TaskManager is replaced
#     (`launch/flink-cluster.sh start --share-nothing`, as a resource manager would), and the same command
#     resumes at that generation: search/winners.json is byte-identical to the reference's;
#   - finalize and report finish on the cluster, and `hatflow audit` of the HDFS run passes.
# The latency rows this machine measured for the reference are uploaded first (measurements are noise; the
# search must see the same ones). Needs root (unshare -m), ~10 GiB of memory, a built jar; ~8 minutes on 2 cores.
#   launch/tests/share_nothing_search.sh
# Environment: E2E_STATE (cluster state dir, /var/tmp/hatflow-share-nothing-e2e), E2E_REST_PORT / E2E_RPC_PORT
# (18091 / 16133: its own cluster, so one you run on 8081 is not touched). Stops what it started, by pid.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HATFLOW_HOME="$(cd "$HERE/../.." && pwd)"
CLUSTER="$HATFLOW_HOME/launch/flink-cluster.sh"
HATFLOW="$HATFLOW_HOME/launch/hatflow"
SPEC="$HATFLOW_HOME/launch/specs/demo.yaml"
export HATFLOW_SHARE_NOTHING_DIR="${E2E_STATE:-/var/tmp/hatflow-share-nothing-e2e}"
export FLINK_REST_PORT="${E2E_REST_PORT:-18091}" FLINK_RPC_PORT="${E2E_RPC_PORT:-16133}"
T="$(mktemp -d)"
export HATFLOW_WORK_DIR="$T/work" # the client's working copies: in the client's /tmp, which the cluster cannot see
started=0
fails=0
# The demo scaled down (as DemoEndToEndTest.REDUCED), with 3 generations so a middle one can be interrupted.
REDUCED=(--set train.steps=20 --set train.checkpoint_every=10
  --set targets[0].latency.measure.samples=24 --set targets[0].latency.measure.runs=2
  --set search.population=8 --set search.parents=3 --set search.mutations=3 --set search.crossovers=2
  --set search.generations=3 --set search.valid_subset=50 --set finalize.steps=4 --set finalize.random_subnets=1)

cleanup() {
  if [ "$fails" -gt 0 ]; then
    mkdir -p "$HATFLOW_SHARE_NOTHING_DIR/e2e-logs" && cp "$T"/*.log "$HATFLOW_SHARE_NOTHING_DIR/e2e-logs/" 2>/dev/null
    echo "logs kept in $HATFLOW_SHARE_NOTHING_DIR/e2e-logs"
  fi
  if [ "$started" = 1 ]; then
    echo "---- stopping the test cluster (by pid)"
    "$CLUSTER" stop --share-nothing >/dev/null || echo "FAIL stop --share-nothing exited non-zero"
  fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1   ($2)"; fails=$((fails + 1)); fi; }
die() { echo "share_nothing_search: $*" >&2; fails=$((fails + 1)); exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (unshare -m, tmpfs mounts)"
"$CLUSTER" status --share-nothing >/dev/null 2>&1
[ $? = 3 ] || die "a share-nothing cluster already runs in $HATFLOW_SHARE_NOTHING_DIR; stop it first"
"$HATFLOW" --version >/dev/null || die "cannot build or run launch/hatflow"

echo "---- the reference: reduced demo, DirectRunner, local run directory"
t=$SECONDS
"$HATFLOW" demo --run-dir "$T/local" "${REDUCED[@]}" > "$T/local.log" 2>&1
check "the reference demo finishes (exit 0, $((SECONDS - t)) s)" '[ $? = 0 ]'
[ -f "$T/local/search/winners.json" ] || die "no reference winners (log: $T/local.log)"

echo "---- the share-nothing cluster"
started=1
"$CLUSTER" start --share-nothing --taskmanagers 2 > "$T/start.log" 2>&1 || { tail -20 "$T/start.log"; die "start failed"; }
MASTER="$(sed -n 's/^flinkMaster=//p' "$T/start.log")"
HDFS="$(sed -n 's/^hdfs=//p' "$T/start.log")"
WEBHDFS="$(sed -n 's/^webhdfs=//p' "$T/start.log")"
RD="$HDFS/e2e/demo"
# The corpus on HDFS too (the workers cannot see the checkout): the demo spec with its data paths there.
for f in "$HATFLOW_HOME"/testdata/multi30k/{train,valid,test}.{en,de}; do
  curl -sS -f -L -X PUT -T "$f" -H 'Content-Type: application/octet-stream' \
    "$WEBHDFS/webhdfs/v1/e2e/data/$(basename "$f")?op=CREATE&overwrite=true&user.name=$(id -un)" >/dev/null \
    || die "cannot upload $f"
done
sed -e "s|\.\./\.\./testdata/multi30k/|$HDFS/e2e/data/|g" -e "s|\.\./\.\./testdata/|$HATFLOW_HOME/testdata/|g" \
  "$SPEC" > "$T/demo-hdfs.yaml"
grep -q "$HDFS/e2e/data/train.en" "$T/demo-hdfs.yaml" || die "could not point the spec at HDFS"
SPEC="$T/demo-hdfs.yaml"
FLINK=(--runner=FlinkRunner --flinkMaster="$MASTER" --parallelism=2)
hdfs_get() { curl -sS -f -L "$WEBHDFS/webhdfs/v1/e2e/demo/$1?op=OPEN&user.name=$(id -un)"; }
hdfs_put() { curl -sS -f -L -X PUT -T "$1" -H 'Content-Type: application/octet-stream' \
  "$WEBHDFS/webhdfs/v1/e2e/demo/$2?op=CREATE&overwrite=true&user.name=$(id -un)" >/dev/null; }
stage() { "$HATFLOW" run --spec "$SPEC" --run-dir "$RD" "${REDUCED[@]}" "${FLINK[@]}" --only "$@"; }
# The sha256 of each recorded output of stage $2 in manifest file $1 (and of each file of a folder output).
outputs() { python3 -c 'import json,sys
o=json.load(open(sys.argv[1]))["stages"][sys.argv[2]]["outputs"]
for k, v in sorted(o.items()):
  print(k, v["sha256"], " ".join(f + "=" + d[:12] for f, d in sorted(v.get("files", {}).items())))' "$1" "$2"; }

echo "---- prepare on the cluster, train on the client, latency (this machine's reference rows), predictor"
stage prepare > "$T/prepare.log" 2>&1
check "prepare on the cluster writes to HDFS (exit 0)" '[ $? = 0 ]'
hdfs_get manifest.json > "$T/manifest.json"
# Shards are Avro files with a random sync marker per file, so their bytes differ between any two runs; their
# records are compared by prepare's own record digest in stats.tsv (with the counts), and the vocabulary by bytes.
same_records() { outputs "$1" prepare | tr ' ' '\n' | grep -E '^(stats\.tsv|vocab/)'; }
check "prepare's records (stats.tsv: counts, record digest) and vocabulary equal DirectRunner's" \
  '[ "$(same_records "$T/manifest.json")" = "$(same_records "$T/local/manifest.json")" ] && [ -n "$(same_records "$T/local/manifest.json")" ]'
stage train > "$T/train.log" 2>&1
check "train (exit 0)" '[ $? = 0 ]'
for f in "$T"/local/latency/this-cpu*.avro; do hdfs_put "$f" "latency/$(basename "$f")"; done
stage latency > "$T/latency.log" 2>&1
check "latency reuses the reference's rows measured here (exit 0)" '[ $? = 0 ] && grep -q "0 to measure" "$T/latency.log"'
stage predictor > "$T/predictor.log" 2>&1
check "predictor (exit 0)" '[ $? = 0 ]'

echo "---- the search, with a TaskManager killed in generation 2 of 3"
stage search > "$T/search-1.log" 2>&1 &
search=$!
for _ in $(seq 600); do
  grep -q 'search gen 1/3' "$T/search-1.log" && break
  kill -0 "$search" 2>/dev/null || break
  sleep 0.5
done
check "generation 1 finished before the kill" 'grep -q "search gen 1/3" "$T/search-1.log"'
# Wait for generation 2's job to run on the cluster, then kill the first TaskManager.
for _ in $(seq 240); do
  curl -s "http://$MASTER/jobs/overview" | python3 -c 'import json,sys; sys.exit(0 if sum(j["state"]=="RUNNING" and j["tasks"]["running"]>0 for j in json.load(sys.stdin)["jobs"]) else 1)' && break
  sleep 0.5
done
victim="$("$CLUSTER" pids | head -1)"
kill -9 "$victim"
echo "     killed TaskManager pid $victim"
wait "$search"
rc=$?
check "the interrupted search fails cleanly (exit 1)" '[ $rc = 1 ]'
check "its last line is hatflow's message, not a stack trace" '! tail -1 "$T/search-1.log" | grep -qE "^\s+at |Exception$"'
hdfs_get manifest.json > "$T/manifest.json"
check "the manifest at home records the search failed" \
  '[ "$(python3 -c "import json; print(json.load(open(\"$T/manifest.json\"))[\"stages\"][\"search\"][\"status\"])")" = failed ]'

"$CLUSTER" start --share-nothing > "$T/heal.log" 2>&1
check "the lost TaskManager is replaced (start on a running cluster)" \
  '[ $? = 0 ] && grep -q "is gone; starting it again" "$T/heal.log" && [ "$("$CLUSTER" pids | wc -l)" = 2 ]'
stage search > "$T/search-2.log" 2>&1
check "the same command resumes (exit 0)" '[ $? = 0 ] && grep -q "resuming where it stopped" "$T/search-2.log"'
check "generation 1 is not run again" 'grep -q "search gen 1/3.*(resumed)" "$T/search-2.log"'
hdfs_get search/winners.json > "$T/winners.json"
check "search/winners.json on HDFS is byte-identical to DirectRunner's with a local run dir" \
  'cmp -s "$T/winners.json" "$T/local/search/winners.json"'

echo "---- finalize and report on the cluster, audit"
"$HATFLOW" run --spec "$SPEC" --run-dir "$RD" "${REDUCED[@]}" "${FLINK[@]}" > "$T/rest.log" 2>&1
check "the rest of the run finishes (exit 0)" '[ $? = 0 ] && grep -q "\[report\] done" "$T/rest.log"'
"$HATFLOW" audit "$RD" > "$T/audit.log" 2>&1
check "audit of the HDFS run passes" '[ $? = 0 ]'

echo "---- $([ "$fails" = 0 ] && echo PASS || echo "FAIL ($fails)") in $SECONDS s"
[ "$fails" = 0 ]
