#!/usr/bin/env bash
# Tests `launch/flink-cluster.sh start --share-nothing` for real: starts HDFS + a JobManager + N TaskManagers (each
# JVM hiding the checkout and /tmp in its own mount namespace), runs Beam jobs from hatflow's shaded jar on it
# (launch/tests/ShareNothingSmoke.java: count lines, TextIO read/write), and checks that
#   - the cluster prints flinkMaster=, hdfs=, webhdfs= and the TaskManagers cannot see the checkout;
#   - a job reading and writing hdfs:// paths succeeds with the right output (read back through WebHDFS);
#   - a job reading a client path ($HATFLOW_HOME/README.md) fails on a TaskManager ("No files matched spec");
#   - a job reading a local path the workers do have (/etc/hostname) succeeds (the failure above is the hiding);
#   - a TaskManager dies by `kill -9 <pid>` from `pids`, and status reports the cluster degraded;
#   - stop ends every recorded process, by pid. The cluster is stopped (by pid) on every exit, failure included.
# Needs root (unshare -m), ~9 GiB of memory, and a built jar. Takes about 2-3 minutes on 2 cores.
#   launch/tests/share_nothing_smoke.sh
# Environment: SMOKE_JAR (default: a copy of pipelines/target/hatflow.jar, so a rebuild during the test cannot
# change it), SMOKE_TASKMANAGERS (2), SMOKE_STATE (cluster state dir, /var/tmp/hatflow-share-nothing-smoke),
# SMOKE_REST_PORT / SMOKE_RPC_PORT (18081 / 16123; its own, so a cluster you run on 8081 is not touched).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HATFLOW_HOME="$(cd "$HERE/../.." && pwd)"
CLUSTER="$HATFLOW_HOME/launch/flink-cluster.sh"
N="${SMOKE_TASKMANAGERS:-2}"
export HATFLOW_SHARE_NOTHING_DIR="${SMOKE_STATE:-/var/tmp/hatflow-share-nothing-smoke}"
export FLINK_REST_PORT="${SMOKE_REST_PORT:-18081}" FLINK_RPC_PORT="${SMOKE_RPC_PORT:-16123}"
T="$(mktemp -d)"
started=0
fails=0

cleanup() {
  if [ "$fails" -gt 0 ] && ls "$T"/*.log >/dev/null 2>&1; then
    mkdir -p "$HATFLOW_SHARE_NOTHING_DIR/smoke-jobs" && cp "$T"/*.log "$HATFLOW_SHARE_NOTHING_DIR/smoke-jobs/"
  fi
  if [ "$started" = 1 ]; then
    echo "---- stopping the smoke cluster (by pid)"
    "$CLUSTER" stop --share-nothing || echo "FAIL stop --share-nothing exited non-zero"
  fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1   ($2)"; fails=$((fails + 1)); fi; }
die() { echo "share_nothing_smoke: $*" >&2; exit 1; }
elapsed() { echo "$((SECONDS - $1))s"; }

[ "$(id -u)" = 0 ] || die "needs root (unshare -m, tmpfs mounts)"
JAR="${SMOKE_JAR:-}"
if [ -z "$JAR" ]; then
  [ -f "$HATFLOW_HOME/pipelines/target/hatflow.jar" ] || die "no pipelines/target/hatflow.jar: build it first (or set SMOKE_JAR)"
  JAR="$T/hatflow.jar"
  cp "$HATFLOW_HOME/pipelines/target/hatflow.jar" "$JAR"
fi
[ -f "$JAR" ] || die "no jar at $JAR"
[ -f "$HATFLOW_HOME/README.md" ] || die "$HATFLOW_HOME/README.md is missing: the hidden-path check reads it"
"$CLUSTER" status --share-nothing >/dev/null 2>&1
[ $? = 3 ] || die "a share-nothing cluster already runs in $HATFLOW_SHARE_NOTHING_DIR; stop it first:" \
  "HATFLOW_SHARE_NOTHING_DIR=$HATFLOW_SHARE_NOTHING_DIR $CLUSTER stop --share-nothing"

# ---- start
t=$SECONDS
started=1
"$CLUSTER" start --share-nothing --taskmanagers "$N" > "$T/start.out" 2> "$T/start.err"
rc=$?
cat "$T/start.out"
[ $rc = 0 ] || { cat "$T/start.err" >&2; die "start --share-nothing failed (rc $rc)"; }
echo "     (start took $(elapsed $t))"
tail -3 "$T/start.out" > "$T/endpoints"
check "start ends with the three endpoint lines" \
  '[ "$(cut -d= -f1 "$T/endpoints" | paste -sd,)" = "flinkMaster,hdfs,webhdfs" ]'
FLINK_MASTER="$(sed -n 's/^flinkMaster=//p' "$T/endpoints")"
HDFS="$(sed -n 's/^hdfs=//p' "$T/endpoints")"
WEBHDFS="$(sed -n 's/^webhdfs=//p' "$T/endpoints")"
check "flinkMaster is 127.0.0.1:$FLINK_REST_PORT" '[ "$FLINK_MASTER" = "127.0.0.1:$FLINK_REST_PORT" ]'
check "hdfs is hdfs://127.0.0.1:PORT" '[[ "$HDFS" =~ ^hdfs://127\.0\.0\.1:[0-9]+$ ]]'
check "webhdfs is http://127.0.0.1:PORT" '[[ "$WEBHDFS" =~ ^http://127\.0\.0\.1:[0-9]+$ ]]'
[[ "$HDFS" =~ ^hdfs:// ]] && [[ "$WEBHDFS" =~ ^http:// ]] || die "no endpoints; cannot go on"
check "REST reports $N TaskManagers, $N slots" \
  '[ "$(curl -s "http://$FLINK_MASTER/overview" | jq -r ".taskmanagers, .[\"slots-total\"]" | paste -sd" ")" = "$N $N" ]'

# ---- the TaskManagers: their pids, their view of the file system
mapfile -t tms < <("$CLUSTER" pids)
"$CLUSTER" pids --all > "$T/all-pids"
check "pids prints $N TaskManager pids" '[ "${#tms[@]}" = "$N" ]'
for p in "${tms[@]}"; do
  check "pid $p is a TaskManager JVM" 'tr "\0" " " < /proc/$p/cmdline | grep -q "^java .*TaskManagerRunner"'
  check "pid $p has its own mount namespace" '[ "$(readlink /proc/$p/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]'
  check "pid $p sees an empty checkout" '[ -z "$(nsenter -t "$p" -m ls -A "$HATFLOW_HOME")" ]'
  check "pid $p cannot write into the checkout" '! nsenter -t "$p" -m touch "$HATFLOW_HOME/x" 2>/dev/null'
  check "pid $p has a private /tmp" '! nsenter -t "$p" -m test -e "$T"'
  echo "     TaskManager pid $p: $(($(awk '/VmRSS/ { print $2 }' /proc/$p/status) / 1024)) MiB resident"
done
while read -r name p; do
  case "$name" in share-nothing-*)
    echo "     $name pid $p: $(($(awk '/VmRSS/ { print $2 }' /proc/$p/status) / 1024)) MiB resident" ;;
  esac
done < "$T/all-pids"

# ---- job 1: hdfs:// in, hdfs:// out
job() { # job NAME INPUT OUTPUT: runs ShareNothingSmoke, output in $T/NAME.log; returns its exit status
  local name="$1" t=$SECONDS rc
  timeout 600 java -cp "$JAR" "$HERE/ShareNothingSmoke.java" "$2" "$3" --runner=FlinkRunner \
    --flinkMaster="$FLINK_MASTER" --parallelism="$N" --jobName="share-nothing-smoke-$name" \
    --hdfsConfiguration="[{\"fs.defaultFS\":\"$HDFS\"}]" > "$T/$name.log" 2>&1
  rc=$?
  echo "     job $name: exit $rc after $(elapsed $t): $(grep -m1 '^smoke: ' "$T/$name.log")"
  return $rc
}
webhdfs_cat() { # the concatenated files under an HDFS dir whose names start with $2
  local f
  for f in $(curl -s "$WEBHDFS/webhdfs/v1$1?op=LISTSTATUS" | jq -r '.FileStatuses.FileStatus[].pathSuffix'); do
    case "$f" in "$2"*) curl -s -L "$WEBHDFS/webhdfs/v1$1/$f?op=OPEN" ;; esac
  done
}
for i in $(seq 500); do echo "word$((i * i % 17))"; done > "$T/lines.txt"
check "WebHDFS takes the input file" \
  'curl -s -f -L -X PUT -H "Content-Type: application/octet-stream" --data-binary @"$T/lines.txt" \
     "$WEBHDFS/webhdfs/v1/smoke/in/lines.txt?op=CREATE&overwrite=true" >/dev/null'
sort "$T/lines.txt" | uniq -c | awk '{ print $2 "," $1 }' | sort > "$T/expected"
job hdfs "$HDFS/smoke/in/*.txt" "$HDFS/smoke/out/counts"; rc=$?
check "the hdfs:// job succeeds" '[ $rc = 0 ] && grep -q "^smoke: DONE" "$T/hdfs.log"'
webhdfs_cat /smoke/out counts | sort > "$T/actual"
check "its output on HDFS has the right counts ($(wc -l < "$T/expected") rows)" \
  '[ -s "$T/actual" ] && cmp -s "$T/expected" "$T/actual"'

# ---- job 2: a client path, hidden from the workers
job hidden "$HATFLOW_HOME/README.md" "$HDFS/smoke/out-hidden/counts"; rc=$?
check "the job reading a client path fails" '[ $rc = 3 ] && grep -q "^smoke: FAILED" "$T/hidden.log"'
check "  because the workers find no $HATFLOW_HOME/README.md" \
  'grep -q "No files matched spec: $HATFLOW_HOME/README.md" "$T/hidden.log"'
check "  and a TaskManager logged that failure" \
  'grep -l "No files matched spec: $HATFLOW_HOME/README.md" "$HATFLOW_SHARE_NOTHING_DIR"/log/taskmanager-*.out >/dev/null'

# ---- job 3: a local path the workers do have
job visible /etc/hostname "$HDFS/smoke/out-visible/counts"; rc=$?
check "the job reading /etc/hostname (not hidden) succeeds" '[ $rc = 0 ]'
check "  with its content" '[ "$(webhdfs_cat /smoke/out-visible counts)" = "$(head -1 /etc/hostname),1" ]'

# ---- kill -9 a TaskManager by pid
victim="${tms[0]}"
kill -9 "$victim"
for _ in $(seq 50); do kill -0 "$victim" 2>/dev/null || break; sleep 0.1; done
check "kill -9 ends TaskManager pid $victim" '! kill -0 "$victim" 2>/dev/null'
check "pids then lists $((N - 1))" '[ "$("$CLUSTER" pids | grep -c .)" = $((N - 1)) ]'
"$CLUSTER" status --share-nothing > "$T/status" 2>&1; rc=$?
check "status --share-nothing says degraded (exit 1)" '[ $rc = 1 ] && grep -q "degraded: not alive: taskmanager-1" "$T/status"'
t=$SECONDS
for _ in $(seq 120); do
  [ "$(curl -s "http://$FLINK_MASTER/overview" | jq -r .taskmanagers)" = $((N - 1)) ] && break
  sleep 1
done
check "the JobManager drops the dead TaskManager ($(elapsed $t))" \
  '[ "$(curl -s "http://$FLINK_MASTER/overview" | jq -r .taskmanagers)" = $((N - 1)) ]'

# ---- stop, by pid
"$CLUSTER" stop --share-nothing; rc=$?
started=0
check "stop --share-nothing exits 0" '[ $rc = 0 ]'
while read -r name p; do
  case "$name" in share-nothing-*) check "$name (pid $p) is gone" '! kill -0 "$p" 2>/dev/null' ;; esac
done < "$T/all-pids"
"$CLUSTER" status --share-nothing >/dev/null 2>&1; rc=$?
check "status --share-nothing then says not running (exit 3)" '[ $rc = 3 ]'

if [ "$fails" -gt 0 ]; then
  echo "share_nothing_smoke: $fails check(s) failed; job logs in $HATFLOW_SHARE_NOTHING_DIR/smoke-jobs, cluster logs in $HATFLOW_SHARE_NOTHING_DIR/log"
  exit 1
fi
echo "share_nothing_smoke: all checks passed"
