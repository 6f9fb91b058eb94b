#!/usr/bin/env bash
# A real standalone Flink 1.19.0 session cluster on 127.0.0.1 (one JobManager, one TaskManager with 2 slots),
# run from Maven jars: flink-dist is not in the registry and no tarball can be downloaded (see
# shared/notes/stack.md). DJL (libtorch) and xgboost are on its class path and loaded parent-first, since their
# native libraries can be loaded once per JVM and every job (each search generation) gets a new class loader. Submit hatflow jobs to it with
#   --runner=FlinkRunner --flinkMaster=127.0.0.1:8081 --parallelism=2
#
#   launch/flink-cluster.sh start     start (no-op if already running); waits until 2 slots are registered
#   launch/flink-cluster.sh status    slots and jobs, or "not running" (exit 3)
#   launch/flink-cluster.sh stop      stops the processes recorded in the pid files (never by process name)
#
# Environment:
#   HATFLOW_FLINK_DIR   state dir: classpath, conf/, logs, pid files   (default: runs/.flink-cluster)
#   FLINK_REST_PORT     REST port (default 8081); FLINK_RPC_PORT JobManager RPC port (default 6123)
#   FLINK_SLOTS         task slots (default 2); FLINK_START_TIMEOUT seconds to wait at start (default 90)
#   FLINK_TM_MEMORY / FLINK_JM_MEMORY  process sizes (default 3584m / 1024m)
#   FLINK_TM_OFFHEAP    TaskManager task off-heap (direct) memory for user code, e.g. DJL tensors (default 1024m)
set -euo pipefail
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

# PID from a pid file, only if that process is alive and still runs the expected main class (guards against
# a recycled PID after a reboot or crash).
live_pid() {
  local file="$1" class="$2" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$class" || return 1
  echo "$pid"
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
overview() { curl -s --max-time 3 "http://127.0.0.1:$(rest_port)/overview"; }
field() { grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }

classpath() {
  mkdir -p "$STATE"
  if [ ! -s "$CP_FILE" ] || [ "$POM" -nt "$CP_FILE" ]; then
    echo "flink-cluster: resolving the Flink 1.19.0 classpath (once) ..." >&2
    # Offline first (the shared ~/.m2 usually has it); online only for what is missing.
    if ! mvn -B -q -o -f "$POM" dependency:build-classpath -Dmdep.outputFile="$CP_FILE.tmp" >"$STATE/mvn.log" 2>&1; then
      mvn -B -q -f "$POM" dependency:build-classpath -Dmdep.outputFile="$CP_FILE.tmp" >"$STATE/mvn.log" 2>&1 \
        || { tail -20 "$STATE/mvn.log" >&2; die "cannot resolve the Flink classpath from $POM (log: $STATE/mvn.log)"; }
    fi
    mv "$CP_FILE.tmp" "$CP_FILE"
  fi
  cat "$CP_FILE"
}

write_config() {
  local port="$1"
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
  numberOfTaskSlots: ${FLINK_SLOTS:-2}
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
  default: ${FLINK_SLOTS:-2}
# libtorch and xgboost load native libraries, which a JVM lets one class loader hold: load them from the
# cluster's class path for every job (a session cluster gives each job a new class loader).
classloader:
  parent-first-patterns:
    additional:
      - ai.djl.
      - ml.dmlc.xgboost4j.
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

  local jm tm out
  out="$(resource_params GET_JM_RESOURCE_PARAMS "$cp")" || exit 1
  mapfile -t jm <<< "$out"
  out="$(resource_params GET_TM_RESOURCE_PARAMS "$cp")" || exit 1
  mapfile -t tm <<< "$out"
  [ "${#jm[@]}" -ge 2 ] && [ "${#tm[@]}" -ge 2 ] || die "unexpected BashJavaUtils output: ${jm[*]} / ${tm[*]}"

  # shellcheck disable=SC2086  # the flag lines are meant to split into words
  launch "$JM_PID" "$LOGS/jobmanager.out" java ${jm[0]} -Dlog.file="$LOGS/jobmanager.log" \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=info -cp "$cp" "$JM_CLASS" --configDir "$CONF" ${jm[1]}
  # shellcheck disable=SC2086
  launch "$TM_PID" "$LOGS/taskmanager.out" java ${tm[0]} -Dlog.file="$LOGS/taskmanager.log" \
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

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
