#!/usr/bin/env bash
# A real standalone Flink 1.19.0 session cluster on 127.0.0.1 (one JobManager, one TaskManager with 2 slots),
# run from Maven jars: flink-dist is not in the registry and no tarball can be downloaded (see
# shared/notes/stack.md). DJL (libtorch) and xgboost are on its class path and loaded parent-first, since their
# native libraries can be loaded once per JVM and every job (each search generation) gets a new class loader. Submit hatflow jobs to it with
#   --runner=FlinkRunner --flinkMaster=127.0.0.1:8081 --parallelism=2
#
#   launch/flink-cluster.sh start     start (no-op if already running); waits until 2 slots are registered
#   launch/flink-cluster.sh status    slots and jobs, or "not running" (exit 3)
#   launch/flink-cluster.sh stop      stops the processes recorded in the pid files (never by process name),
#                                     of both clusters (this one and the share-nothing one below)
#
# Share-nothing mode: a cluster whose workers cannot see the client's files, like a real one, plus a real HDFS.
#   launch/flink-cluster.sh start --share-nothing [--taskmanagers N]
#     starts HDFS (NameNode + 1 DataNode, Hadoop's MiniDFSCluster, its own JVM, launch/flink-cluster/HdfsMini.java)
#     and a JobManager and N TaskManagers (default 2, one slot each), each JVM in its own mount namespace
#     (unshare -m) where an empty read-only tmpfs hides the client's checkout (and HATFLOW_SHARE_NOTHING_HIDE) and
#     a private tmpfs replaces /tmp. Waits for N slots and the NameNode, then prints as its last three lines
#       flinkMaster=127.0.0.1:PORT
#       hdfs=hdfs://127.0.0.1:PORT
#       webhdfs=http://127.0.0.1:PORT
#     Submit with --runner=FlinkRunner --flinkMaster=... --parallelism=N
#     --hdfsConfiguration='[{"fs.defaultFS":"hdfs://127.0.0.1:PORT"}]' and give the job hdfs:// paths.
#     The file system is formatted afresh at every start. Test: launch/tests/share_nothing_smoke.sh
#     On a running cluster, start again replaces TaskManagers that are gone (killed, crashed), as a cluster's
#     resource manager would; HDFS and its files stay.
#   launch/flink-cluster.sh status --share-nothing   that cluster only (exit 3 if not running, 1 if a process is
#                                     gone or does not answer); plain `status` reports this cluster as before (and
#                                     with its exit status) and appends the share-nothing one if that is up
#   launch/flink-cluster.sh stop --share-nothing     that cluster only (TaskManagers, JobManager, HDFS, by pid)
#   launch/flink-cluster.sh pids [--all]  the live TaskManager JVM pids, one per line (share-nothing ones first),
#                                     e.g. for kill -9 in a fault test; --all: "name pid" of every recorded process
#
# Environment:
#   HATFLOW_FLINK_DIR   state dir: classpath, conf/, logs, pid files   (default: runs/.flink-cluster)
#   FLINK_REST_PORT     REST port (default 8081); FLINK_RPC_PORT JobManager RPC port (default 6123)
#   FLINK_SLOTS         task slots (default 2); FLINK_START_TIMEOUT seconds to wait at start (default 90)
#   FLINK_TM_MEMORY / FLINK_JM_MEMORY  process sizes (default 3584m / 1024m)
#   FLINK_TM_OFFHEAP    TaskManager task off-heap (direct) memory for user code, e.g. DJL tensors (default 1024m)
#   Share-nothing mode (same FLINK_* variables, but FLINK_SLOTS does not apply: each TaskManager has one slot; and
#   FLINK_START_TIMEOUT defaults to 120):
#   HATFLOW_SHARE_NOTHING_DIR   its state dir, outside the checkout and /tmp (default /var/tmp/hatflow-share-nothing)
#   HATFLOW_SHARE_NOTHING_HIDE  more client dirs to hide from the cluster, colon-separated (the checkout always is)
#   HDFS_RPC_PORT / HDFS_HTTP_PORT  NameNode ports (default 0: free ports, printed at start)
set -euo pipefail
# glibc gives each thread that allocates its own malloc arena and rarely hands freed memory back; a TaskManager
# runs a fresh set of task threads per job (per search generation), each allocating libtorch tensors, so RSS
# grew with every generation. Two arenas bound that; set MALLOC_ARENA_MAX yourself to override.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
HATFLOW_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${HATFLOW_FLINK_DIR:-$HATFLOW_HOME/runs/.flink-cluster}"
POM="$HATFLOW_HOME/launch/flink-cluster/pom.xml"
CP_FILE="$STATE/classpath.txt"
CONF="$STATE/conf"
LOGS="$STATE/log"
JM_PID="$STATE/jobmanager.pid"
TM_PID="$STATE/taskmanager.pid"
JM_CLASS=org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint
TM_CLASS=org.apache.flink.runtime.taskexecutor.TaskManagerRunner

die() { echo "flink-cluster: $*" >&2; exit 1; }

# The recorded port of a running cluster wins over the environment (status/stop after start with another port).
rest_port() {
  if [ -f "$STATE/rest.port" ]; then cat "$STATE/rest.port"; else echo "${FLINK_REST_PORT:-8081}"; fi
}

# PID from a pid file, only if that process is alive and its command line still holds the expected main class
# (a fixed string; guards against a recycled PID after a reboot or crash).
live_pid() {
  local file="$1" class="$2" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$class" || return 1
  echo "$pid"
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
overview() { curl -s --max-time 3 "http://127.0.0.1:$(rest_port)/overview"; }
field() { grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }

classpath() { resolve_classpath "$POM" "$CP_FILE" "Flink 1.19.0"; }

# resolve_classpath POM FILE WHAT: the classpath of POM's dependencies, cached in FILE until POM changes.
resolve_classpath() {
  local pom="$1" file="$2" what="$3"
  mkdir -p "$(dirname "$file")"
  if [ ! -s "$file" ] || [ "$pom" -nt "$file" ]; then
    echo "flink-cluster: resolving the $what classpath (once) ..." >&2
    # Offline first (the shared ~/.m2 usually has it); online only for what is missing.
    if ! mvn -B -q -o -f "$pom" dependency:build-classpath -Dmdep.outputFile="$file.tmp" >"$STATE/mvn.log" 2>&1; then
      mvn -B -q -f "$pom" dependency:build-classpath -Dmdep.outputFile="$file.tmp" >"$STATE/mvn.log" 2>&1 \
        || { tail -20 "$STATE/mvn.log" >&2; die "cannot resolve the $what classpath from $pom (log: $STATE/mvn.log)"; }
    fi
    mv "$file.tmp" "$file"
  fi
  cat "$file"
}

write_config() {
  local port="$1" slots="${2:-${FLINK_SLOTS:-2}}"
  mkdir -p "$CONF" "$LOGS" "$STATE/tmp"
  rm -f "$CONF/flink-conf.yaml" # a legacy flink-conf.yaml would win over config.yaml
  cat > "$CONF/config.yaml" <<EOF
# Written by launch/flink-cluster.sh on every start; edits are lost.
jobmanager:
  rpc:
    address: 127.0.0.1
    port: ${FLINK_RPC_PORT:-6123}
  bind-host: 127.0.0.1
  memory:
    process:
      size: ${FLINK_JM_MEMORY:-1024m}
taskmanager:
  host: 127.0.0.1
  bind-host: 127.0.0.1
  numberOfTaskSlots: $slots
  memory:
    process:
      size: ${FLINK_TM_MEMORY:-3584m}
    managed:
      fraction: 0.25
    task:
      # libtorch tensors made from Java buffers live in direct memory; Flink budgets none for user code by default
      off-heap:
        size: ${FLINK_TM_OFFHEAP:-1024m}
rest:
  address: 127.0.0.1
  bind-address: 127.0.0.1
  port: $port
io:
  tmp:
    dirs: $STATE/tmp
parallelism:
  default: $slots
# libtorch and xgboost load native libraries, which a JVM lets one class loader hold: load them from the
# cluster's class path for every job (a session cluster gives each job a new class loader). Hadoop's client
# too: its threads and caches would hold a finished job's class loader (see launch/flink-cluster/pom.xml).
classloader:
  parent-first-patterns:
    additional:
      - ai.djl.
      - ml.dmlc.xgboost4j.
      - org.apache.hadoop.
EOF
}

# The two result lines of Flink's BashJavaUtils (what taskmanager.sh / jobmanager.sh compute):
# line 1 JVM flags (-Xmx, -Xms, direct and metaspace limits), line 2 the -D memory settings.
resource_params() {
  local what="$1" cp="$2" out
  out="$(java -cp "$cp" org.apache.flink.runtime.util.bash.BashJavaUtils "$what" --configDir "$CONF" 2>&1)" \
    || { echo "$out" | tail -20 >&2; die "BashJavaUtils $what failed"; }
  echo "$out" | grep '^BASH_JAVA_UTILS_EXEC_RESULT:' | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://'
}

# What Flink's own start scripts pass on Java 17 (its default env.java.opts.all): without them Flink cannot
# serialize a task's failure cause (Throwable fields), and the job fails with InaccessibleObjectException
# instead of the real error.
JAVA17_OPENS="--add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED"

# Sets the caller's arrays jm and tm (declared local there) to the JobManager's and TaskManager's two lines.
memory_params() {
  local out
  out="$(resource_params GET_JM_RESOURCE_PARAMS "$1")" || exit 1
  mapfile -t jm <<< "$out"
  out="$(resource_params GET_TM_RESOURCE_PARAMS "$1")" || exit 1
  mapfile -t tm <<< "$out"
  [ "${#jm[@]}" -ge 2 ] && [ "${#tm[@]}" -ge 2 ] || die "unexpected BashJavaUtils output: ${jm[*]} / ${tm[*]}"
}

# Starts a JVM detached from this shell (own session, survives the caller) and records its PID.
launch() {
  local pidfile="$1" log="$2"; shift 2
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pidfile" "$@" > "$log" 2>&1 < /dev/null &
  for _ in $(seq 50); do [ -s "$pidfile" ] && return 0; sleep 0.1; done
  die "could not start $*"
}

log_tail() {
  local f
  for f in "$LOGS/jobmanager.out" "$LOGS/taskmanager.out"; do
    [ -f "$f" ] && { echo "---- last lines of $f"; grep -v '^\s*at ' "$f" | tail -15; }
  done >&2
}

start() {
  if live_pid "$JM_PID" "$JM_CLASS" >/dev/null; then
    echo "flink-cluster: already running" >&2
    status
    return 0
  fi
  local port="${FLINK_REST_PORT:-8081}"
  if listening "$port"; then
    die "port $port (REST) is already in use by another process; set FLINK_REST_PORT to a free port"
  fi
  if listening "${FLINK_RPC_PORT:-6123}"; then
    die "port ${FLINK_RPC_PORT:-6123} (JobManager RPC) is already in use; set FLINK_RPC_PORT to a free port"
  fi
  local cp; cp="$(classpath)"
  write_config "$port"
  echo "$port" > "$STATE/rest.port"
  rm -f "$JM_PID" "$TM_PID"

  local jm tm
  memory_params "$cp"

  # shellcheck disable=SC2086  # the flag lines are meant to split into words
  launch "$JM_PID" "$LOGS/jobmanager.out" java $JAVA17_OPENS ${jm[0]} -Dlog.file="$LOGS/jobmanager.log" \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=info -cp "$cp" "$JM_CLASS" --configDir "$CONF" ${jm[1]}
  # shellcheck disable=SC2086
  launch "$TM_PID" "$LOGS/taskmanager.out" java $JAVA17_OPENS ${tm[0]} -Dlog.file="$LOGS/taskmanager.log" \
    -Dai.djl.offline=true -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=info -cp "$cp" "$TM_CLASS" --configDir "$CONF" ${tm[1]}

  local want="${FLINK_SLOTS:-2}" timeout="${FLINK_START_TIMEOUT:-90}" t0=$SECONDS slots
  while :; do
    slots="$(overview | field slots-total || true)"
    [ "${slots:-0}" -ge "$want" ] && break
    if ! live_pid "$JM_PID" "$JM_CLASS" >/dev/null || ! live_pid "$TM_PID" "$TM_CLASS" >/dev/null; then
      log_tail; stop >/dev/null 2>&1 || true
      die "a cluster process died during start-up (logs: $LOGS)"
    fi
    if [ $((SECONDS - t0)) -ge "$timeout" ]; then
      log_tail; stop >/dev/null 2>&1 || true
      die "no $want slots after ${timeout}s (saw ${slots:-none}); stopped it again (logs: $LOGS)"
    fi
    sleep 0.5
  done
  echo "flink-cluster: started in $((SECONDS - t0))s: JobManager pid $(cat "$JM_PID"), TaskManager pid $(cat "$TM_PID"), rest http://127.0.0.1:$port"
  echo "  submit with: --runner=FlinkRunner --flinkMaster=127.0.0.1:$port --parallelism=$want"
}

stop_one() {
  local file="$1" class="$2" pid
  if pid="$(live_pid "$file" "$class")"; then
    kill -TERM "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "flink-cluster: pid $pid did not stop in 15s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "flink-cluster: stopped $(basename "$file" .pid) (pid $pid)"
    rm -f "$file"
    return 0
  fi
  rm -f "$file"
  return 1
}

stop() {
  local any=0
  stop_one "$TM_PID" "$TM_CLASS" && any=1
  stop_one "$JM_PID" "$JM_CLASS" && any=1
  rm -f "$STATE/rest.port"
  [ "$any" = 1 ] || echo "flink-cluster: not running"
}

status() {
  local jm tm ov
  if ! jm="$(live_pid "$JM_PID" "$JM_CLASS")"; then
    echo "not running"
    return 3
  fi
  tm="$(live_pid "$TM_PID" "$TM_CLASS" || echo none)"
  if ! ov="$(overview)" || [ -z "$ov" ]; then
    echo "starting or unhealthy: JobManager pid $jm, TaskManager pid $tm, no answer on port $(rest_port) (logs: $LOGS)"
    return 1
  fi
  echo "running: rest http://127.0.0.1:$(rest_port), JobManager pid $jm, TaskManager pid $tm," \
    "taskmanagers $(field taskmanagers <<<"$ov"), slots $(field slots-available <<<"$ov") free of $(field slots-total <<<"$ov")"
  echo "jobs: running $(field jobs-running <<<"$ov"), finished $(field jobs-finished <<<"$ov")," \
    "failed $(field jobs-failed <<<"$ov"), cancelled $(field jobs-cancelled <<<"$ov")"
  if command -v jq >/dev/null; then
    curl -s --max-time 3 "http://127.0.0.1:$(rest_port)/jobs/overview" \
      | jq -r '.jobs[] | "  \(.state)\t\(.duration / 1000)s\t\(.jid)\t\(.name)"' 2>/dev/null || true
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# Share-nothing mode. Its own state dir (outside the checkout and /tmp, which its JVMs cannot see), its own pid
# files; the functions above work on it once use_share_nothing has pointed STATE, CONF, LOGS and the pid files there.
SN_STATE="${HATFLOW_SHARE_NOTHING_DIR:-/var/tmp/hatflow-share-nothing}"
HDFS_POM="$HATFLOW_HOME/launch/flink-cluster/hdfs-pom.xml"
HDFS_SRC="$HATFLOW_HOME/launch/flink-cluster/HdfsMini.java"
HDFS_CLASS=HdfsMini

use_share_nothing() {
  case "$SN_STATE" in /*) ;; *) die "HATFLOW_SHARE_NOTHING_DIR must be an absolute path: $SN_STATE" ;; esac
  STATE="$SN_STATE"
  CP_FILE="$STATE/classpath.txt"
  CONF="$STATE/conf"
  LOGS="$STATE/log"
  JM_PID="$STATE/jobmanager.pid"
  TM_PID="" # one pid file per TaskManager: taskmanager-<i>.pid
  # Match the JVMs of this cluster only, not those of the other mode (same main classes, other config dir).
  SN_JM_MATCH="$JM_CLASS --configDir $CONF"
  SN_TM_MATCH="$TM_CLASS --configDir $CONF"
  SN_HDFS_MATCH="$HDFS_CLASS $STATE/hdfs"
}

# The directories the cluster's JVMs must not see: the checkout, and HATFLOW_SHARE_NOTHING_HIDE (colon-separated).
hidden_dirs() {
  local d extra=()
  (cd "$HATFLOW_HOME" && pwd -P)
  [ -n "${HATFLOW_SHARE_NOTHING_HIDE:-}" ] && IFS=: read -ra extra <<< "$HATFLOW_SHARE_NOTHING_HIDE"
  for d in "${extra[@]}"; do
    [ -z "$d" ] && continue
    [ -d "$d" ] || die "HATFLOW_SHARE_NOTHING_HIDE: not a directory: $d"
    (cd "$d" && pwd -P)
  done
}

# True if path $1 is dir $2 or below it.
under() { case "$1/" in "$2"/*) return 0 ;; *) return 1 ;; esac; }

# Everything the hidden JVMs need (state dir, class path, java) must lie outside what they cannot see.
check_visible() {
  local what="$1" path="$2" d dirs
  mapfile -t dirs < <(hidden_dirs)
  for d in "${dirs[@]}" /tmp; do
    under "$(realpath -m "$path")" "$(realpath -m "$d")" \
      && die "$what ($path) lies under $d, which the share-nothing cluster hides from its JVMs; move it (state dir: HATFLOW_SHARE_NOTHING_DIR)"
  done
  return 0
}

# Starts a JVM detached from this shell like launch(), but in its own mount namespace: an empty read-only tmpfs
# over every hidden dir (a job that reads or writes a client path there fails instead of silently using a
# worker-local copy) and a private writable tmpfs over /tmp. unshare and bash exec, so the recorded pid is the JVM's.
launch_hidden() {
  local pidfile="$1" log="$2" hide; shift 2
  hide="$(hidden_dirs | paste -sd:)"
  # shellcheck disable=SC2016  # expanded by the inner bash
  setsid unshare --mount --propagation private bash -c '
    pidfile="$1"; IFS=: read -ra hide <<< "$2"; shift 2
    for d in "${hide[@]}"; do
      mount -t tmpfs -o ro,nosuid,nodev,size=64k,mode=0755 hatflow-hidden "$d" \
        || { echo "flink-cluster: cannot hide $d (tmpfs mount failed)" >&2; exit 97; }
    done
    mount -t tmpfs -o nosuid,nodev,mode=1777 hatflow-private-tmp /tmp \
      || { echo "flink-cluster: cannot mount a private /tmp" >&2; exit 97; }
    cd /
    echo $$ > "$pidfile"
    exec "$@"' launch-hidden "$pidfile" "$hide" "$@" > "$log" 2>&1 < /dev/null &
  for _ in $(seq 50); do [ -s "$pidfile" ] && return 0; sleep 0.1; done
  tail -5 "$log" >&2 2>/dev/null || true
  die "could not start $* in its own mount namespace (unshare -m needs root; log: $log)"
}

sn_tm_pidfiles() {
  local f
  for f in "$STATE"/taskmanager-*.pid; do [ -e "$f" ] && echo "$f"; done | sort -V
}

# The live JVMs of the share-nothing cluster, "name pid" per line.
sn_live() {
  local f pid
  pid="$(live_pid "$STATE/hdfs.pid" "$SN_HDFS_MATCH")" && echo "hdfs $pid"
  pid="$(live_pid "$JM_PID" "$SN_JM_MATCH")" && echo "jobmanager $pid"
  while read -r f; do
    [ -n "$f" ] && pid="$(live_pid "$f" "$SN_TM_MATCH")" && echo "$(basename "$f" .pid) $pid"
  done <<< "$(sn_tm_pidfiles)"
  return 0
}

# The name of the first recorded JVM of the share-nothing cluster that is not alive; false if all are.
sn_first_dead() {
  local f
  live_pid "$STATE/hdfs.pid" "$SN_HDFS_MATCH" >/dev/null || { echo hdfs; return 0; }
  live_pid "$JM_PID" "$SN_JM_MATCH" >/dev/null || { echo jobmanager; return 0; }
  while read -r f; do
    [ -n "$f" ] && { live_pid "$f" "$SN_TM_MATCH" >/dev/null || { basename "$f" .pid; return 0; }; }
  done <<< "$(sn_tm_pidfiles)"
  return 1
}

# "name pid" lines to "name pid P, name pid P".
pid_list() { awk '{ printf "%s%s pid %s", (NR > 1 ? ", " : ""), $1, $2 } END { print "" }'; }

sn_hdfs_ready() {
  [ -s "$STATE/hdfs/rpc.port" ] && [ -s "$STATE/hdfs/http.port" ] || return 1
  listening "$(cat "$STATE/hdfs/rpc.port")" || return 1
  curl -s --max-time 3 "http://127.0.0.1:$(cat "$STATE/hdfs/http.port")/webhdfs/v1/?op=GETFILESTATUS" \
    | grep -q '"type":"DIRECTORY"'
}

sn_print_endpoints() {
  echo "flinkMaster=127.0.0.1:$(rest_port)"
  echo "hdfs=hdfs://127.0.0.1:$(cat "$STATE/hdfs/rpc.port")"
  echo "webhdfs=http://127.0.0.1:$(cat "$STATE/hdfs/http.port")"
}

sn_log_tail() {
  local f
  for f in "$STATE/hdfs/hdfs.out" "$LOGS/jobmanager.out" "$LOGS"/taskmanager-*.out; do
    [ -f "$f" ] && { echo "---- last lines of $f"; grep -v '^\s*at ' "$f" | tail -15; }
  done >&2
}

# TaskManager $1 of the share-nothing cluster, class path $2 (memory_params must have run).
sn_launch_taskmanager() {
  local i="$1" cp="$2"
  mkdir -p "$STATE/tm-$i/tmp"
  # shellcheck disable=SC2086  # the flag lines are meant to split into words
  launch_hidden "$STATE/taskmanager-$i.pid" "$LOGS/taskmanager-$i.out" java $JAVA17_OPENS ${tm[0]} \
    -Dlog.file="$LOGS/taskmanager-$i.log" -Dai.djl.offline=true -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=info -cp "$cp" "$TM_CLASS" --configDir "$CONF" ${tm[1]} \
    -D "taskmanager.resource-id=tm-$i" -D "io.tmp.dirs=$STATE/tm-$i/tmp"
}

# What a cluster's resource manager does for a lost worker: start again every recorded TaskManager that is gone
# (killed or crashed), with its old id and dirs, and wait for its slot. HDFS and the run directories stay.
sn_replace_lost_taskmanagers() {
  local f i cp lost=() jm tm
  while read -r f; do
    [ -n "$f" ] && ! live_pid "$f" "$SN_TM_MATCH" >/dev/null && lost+=("$(basename "$f" .pid | sed 's/^taskmanager-//')")
  done <<< "$(sn_tm_pidfiles)"
  [ "${#lost[@]}" -gt 0 ] || return 0
  cp="$(classpath)"
  memory_params "$cp"
  for i in "${lost[@]}"; do
    echo "flink-cluster: TaskManager $i is gone; starting it again" >&2
    sn_launch_taskmanager "$i" "$cp"
  done
  local want t0=$SECONDS slots
  want="$(cat "$STATE/taskmanagers")"
  while :; do
    slots="$(overview | field slots-total || true)"
    [ "${slots:-0}" -ge "$want" ] && break
    [ $((SECONDS - t0)) -ge "${FLINK_START_TIMEOUT:-120}" ] && { sn_log_tail; die "the restarted TaskManagers did not register within ${FLINK_START_TIMEOUT:-120}s (logs: $LOGS)"; }
    sleep 0.5
  done
}

start_share_nothing() {
  local n="$1"
  use_share_nothing
  if live_pid "$JM_PID" "$SN_JM_MATCH" >/dev/null; then
    echo "flink-cluster: the share-nothing cluster is already running (stop it to change its size)" >&2
    sn_hdfs_ready || die "but its HDFS does not answer; stop it and start again"
    sn_replace_lost_taskmanagers
    status_share_nothing >&2 || true
    sn_print_endpoints
    return 0
  fi
  [ -n "$(sn_live)" ] && die "leftovers of a share-nothing cluster are still running ($(sn_live | paste -sd' ')); run: $0 stop"
  [ "$(id -u)" = 0 ] || die "--share-nothing needs root (unshare -m and tmpfs mounts)"
  command -v unshare >/dev/null || die "--share-nothing needs unshare (util-linux)"
  hidden_dirs >/dev/null # dies on a bad HATFLOW_SHARE_NOTHING_HIDE
  mkdir -p "$STATE"
  check_visible "the share-nothing state dir" "$STATE"
  local port="${FLINK_REST_PORT:-8081}" rpc="${FLINK_RPC_PORT:-6123}"
  if listening "$port"; then
    die "port $port (REST) is already in use by another process (the other cluster? $0 status); set FLINK_REST_PORT to a free port"
  fi
  if listening "$rpc"; then
    die "port $rpc (JobManager RPC) is already in use (the other cluster? $0 status); set FLINK_RPC_PORT to a free port"
  fi
  local t0=$SECONDS cp hcp entry entries
  cp="$(classpath)"
  hcp="$(resolve_classpath "$HDFS_POM" "$STATE/hdfs-classpath.txt" "HDFS minicluster (Hadoop 3.5.0)")"
  IFS=: read -ra entries <<< "$cp"
  for entry in "${entries[@]}" "$(readlink -f "$(command -v java)")"; do check_visible "a class path entry" "$entry"; done

  # HDFS: compile the launcher (once), then start it; it writes its ports when the DataNode is in and safe mode off.
  local classes="$STATE/hdfs-classes"
  if [ ! -f "$classes/$HDFS_CLASS.class" ] || [ "$HDFS_SRC" -nt "$classes/$HDFS_CLASS.class" ] \
      || [ "$STATE/hdfs-classpath.txt" -nt "$classes/$HDFS_CLASS.class" ]; then
    rm -rf "$classes"; mkdir -p "$classes"
    javac -nowarn -cp "$hcp" -d "$classes" "$HDFS_SRC" > "$STATE/javac.log" 2>&1 \
      || { cat "$STATE/javac.log" >&2; die "cannot compile $HDFS_SRC"; }
  fi
  rm -rf "$STATE/hdfs" "$STATE"/tm-* "$STATE/tmp" "$LOGS"; mkdir -p "$STATE/hdfs"
  rm -f "$STATE"/*.pid
  launch "$STATE/hdfs.pid" "$STATE/hdfs/hdfs.out" java -Xmx512m -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$classes:$hcp" "$HDFS_CLASS" "$STATE/hdfs" \
    "${HDFS_RPC_PORT:-0}" "${HDFS_HTTP_PORT:-0}"

  # Flink: JobManager, then N TaskManagers with one slot each, each with its own io.tmp.dirs, log and resource id.
  write_config "$port" 1
  echo "$port" > "$STATE/rest.port"
  echo "$n" > "$STATE/taskmanagers"
  local jm tm i
  memory_params "$cp"
  # shellcheck disable=SC2086  # the flag lines are meant to split into words
  launch_hidden "$JM_PID" "$LOGS/jobmanager.out" java $JAVA17_OPENS ${jm[0]} -Dlog.file="$LOGS/jobmanager.log" \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=info -cp "$cp" "$JM_CLASS" --configDir "$CONF" ${jm[1]}
  for i in $(seq "$n"); do
    sn_launch_taskmanager "$i" "$cp"
  done

  local timeout="${FLINK_START_TIMEOUT:-120}" slots hdfs_ok=0 dead
  while :; do
    [ "$hdfs_ok" = 1 ] || { sn_hdfs_ready && hdfs_ok=1; } || true
    slots="$(overview | field slots-total || true)"
    [ "${slots:-0}" -ge "$n" ] && [ "$hdfs_ok" = 1 ] && break
    if dead="$(sn_first_dead)"; then
      sn_log_tail; stop_share_nothing >/dev/null 2>&1 || true
      die "$dead died during start-up; stopped the rest (logs: $LOGS, $STATE/hdfs)"
    fi
    if [ $((SECONDS - t0)) -ge "$timeout" ]; then
      sn_log_tail; stop_share_nothing >/dev/null 2>&1 || true
      die "no $n slots and HDFS after ${timeout}s (saw ${slots:-no} slots, HDFS $([ "$hdfs_ok" = 1 ] && echo up || echo down)); stopped it again (logs: $LOGS)"
    fi
    sleep 0.5
  done
  echo "flink-cluster: share-nothing cluster started in $((SECONDS - t0))s: $(sn_live | pid_list)"
  echo "  state $STATE; hidden from the cluster: $(hidden_dirs | paste -sd' ') and /tmp"
  echo "  submit with: --runner=FlinkRunner --flinkMaster=127.0.0.1:$port --parallelism=$n" \
    "--hdfsConfiguration='[{\"fs.defaultFS\":\"hdfs://127.0.0.1:$(cat "$STATE/hdfs/rpc.port")\"}]'"
  sn_print_endpoints
}

# Stops TaskManagers, JobManager, HDFS by their recorded pids; returns 1 if none was running.
stop_share_nothing() {
  use_share_nothing
  local any=0 f
  while read -r f; do
    [ -n "$f" ] && stop_one "$f" "$SN_TM_MATCH" && any=1
  done <<< "$(sn_tm_pidfiles)"
  stop_one "$JM_PID" "$SN_JM_MATCH" && any=1
  stop_one "$STATE/hdfs.pid" "$SN_HDFS_MATCH" && any=1
  rm -f "$STATE/rest.port" "$STATE/taskmanagers"
  # The TaskManagers' working dirs hold a copy of every job's jar (blob cache): gone with them. Logs stay.
  [ -n "$(sn_live)" ] || rm -rf "$STATE"/tm-* "$STATE/tmp"
  [ "$any" = 1 ]
}

status_share_nothing() {
  use_share_nothing
  local live jm ov want
  live="$(sn_live)"
  if [ -z "$live" ]; then
    echo "share-nothing: not running"
    return 3
  fi
  want="$(cat "$STATE/taskmanagers" 2>/dev/null || echo '?')"
  echo "share-nothing: $(pid_list <<< "$live") (started with $want TaskManagers)"
  local f gone=()
  for f in "$STATE/hdfs.pid" "$JM_PID" $(sn_tm_pidfiles); do
    grep -q "^$(basename "$f" .pid) " <<< "$live" || gone+=("$(basename "$f" .pid) (pid $(cat "$f" 2>/dev/null || echo '?'))")
  done
  if ! jm="$(live_pid "$JM_PID" "$SN_JM_MATCH")" || ! ov="$(overview)" || [ -z "$ov" ]; then
    echo "share-nothing: unhealthy: ${jm:+JobManager pid $jm, }no answer on port $(rest_port) (logs: $LOGS)"
    return 1
  fi
  echo "share-nothing: rest http://127.0.0.1:$(rest_port), taskmanagers $(field taskmanagers <<<"$ov")," \
    "slots $(field slots-available <<<"$ov") free of $(field slots-total <<<"$ov"); jobs: running" \
    "$(field jobs-running <<<"$ov"), finished $(field jobs-finished <<<"$ov"), failed $(field jobs-failed <<<"$ov")," \
    "cancelled $(field jobs-cancelled <<<"$ov")"
  if [ "${#gone[@]}" -gt 0 ]; then
    echo "share-nothing: degraded: not alive: ${gone[*]} (killed or crashed; logs: $LOGS)"
  fi
  if sn_hdfs_ready; then
    echo "share-nothing: HDFS up, live datanodes $(curl -s --max-time 3 \
      "http://127.0.0.1:$(cat "$STATE/hdfs/http.port")/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState" \
      | grep -o '"NumLiveDataNodes" *: *[0-9]*' | grep -o '[0-9]*$' || echo '?')"
    sn_print_endpoints
  else
    echo "share-nothing: HDFS does not answer (log: $STATE/hdfs/hdfs.out)"
    return 1
  fi
  [ "${#gone[@]}" -eq 0 ] || return 1
}

# TaskManager pids, one per line: the share-nothing cluster's, then this mode's. --all: "name pid" of everything.
pids() {
  local all="${1:-}" out pid
  [ -z "$all" ] || [ "$all" = --all ] || die "usage: $0 pids [--all]"
  out="$( (use_share_nothing; sn_live | sed 's/^/share-nothing-/') )"
  pid="$(live_pid "$JM_PID" "$JM_CLASS")" && out+=$'\n'"jobmanager $pid"
  pid="$(live_pid "$TM_PID" "$TM_CLASS")" && out+=$'\n'"taskmanager $pid"
  out="$(grep . <<< "$out" || true)"
  # A share-nothing JVM also matches the plain class patterns: list each pid once.
  out="$(awk '!seen[$2]++' <<< "$out")"
  [ -n "$out" ] || { echo "flink-cluster: no cluster process running" >&2; return 3; }
  if [ "$all" = --all ]; then echo "$out"; else awk '$1 ~ /taskmanager/ { print $2 }' <<< "$out"; fi
}

usage() {
  echo "usage: $0 start [--share-nothing [--taskmanagers N]] | stop [--share-nothing] | status [--share-nothing] | pids [--all]" >&2
  exit 2
}

cmd="${1:-}"; [ $# -gt 0 ] && shift
case "$cmd" in
  start)
    share_nothing=0; tms=2
    while [ $# -gt 0 ]; do
      case "$1" in
        --share-nothing) share_nothing=1 ;;
        --taskmanagers) [ $# -ge 2 ] || usage; tms="$2"; shift ;;
        --taskmanagers=*) tms="${1#*=}" ;;
        *) usage ;;
      esac
      shift
    done
    [[ "$tms" =~ ^[1-9][0-9]*$ ]] || die "--taskmanagers needs a positive number, got '$tms'"
    if [ "$share_nothing" = 1 ]; then
      start_share_nothing "$tms"
    else
      [ "$tms" = 2 ] || die "--taskmanagers only applies with --share-nothing (this mode has one TaskManager with FLINK_SLOTS slots)"
      start
    fi ;;
  stop)
    if [ "${1:-}" = --share-nothing ]; then
      stop_share_nothing || echo "flink-cluster: share-nothing cluster not running"
      exit 0
    fi
    [ $# -eq 0 ] || usage
    # The share-nothing cluster (in a subshell: it repoints the state variables), then this one.
    if ( stop_share_nothing ); then stop | { grep -v '^flink-cluster: not running$' || true; }; else stop; fi ;;
  status)
    if [ "${1:-}" = --share-nothing ]; then
      status_share_nothing
    else
      [ $# -eq 0 ] || usage
      # This mode exactly as before (its exit status is the command's); the share-nothing cluster appended if up.
      rc=0; status || rc=$?
      if [ -n "$( (use_share_nothing; sn_live) )" ]; then ( status_share_nothing ) || true; fi
      exit "$rc"
    fi ;;
  pids) pids "$@" ;;
  *) usage ;;
esac
