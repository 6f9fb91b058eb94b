#!/usr/bin/env bash
# One hatflow run per night: runs/<spec-name>/<yyyy-mm-dd>, reusing the previous night's finished stages.
#
# Example crontab line (02:15 every night; output appended to a log):
#   15 2 * * *  cd /srv/hatflow && launch/nightly.sh launch/specs/wmt14-en-de.yaml >> runs/nightly-cron.log 2>&1
#
#   launch/nightly.sh SPEC
#
# What it does:
#  - takes runs/<spec-name>/.nightly.lock (flock, non-blocking), so two nightlies of one spec never overlap; if a
#    previous night is still running it prints "skipped: previous nightly still running (pid N)" and exits 3;
#  - if tonight's run dir does not exist yet, starts it as a hard-link copy (cp -al) of the latest earlier night
#    (normally yesterday's), so `hatflow run` finds the finished stage outputs by fingerprint and skips them.
#    The copy gets its own manifest.json and spec.yaml (real copies) and no .lock. Stage outputs stay shared
#    with the earlier night until a stage rewrites them, which hatflow does by writing a temp file and
#    renaming it (never in place), so the earlier night is never modified;
#  - runs `launch/hatflow run --spec SPEC --run-dir DIR`, its output to runs/<spec-name>/logs/<date>.log;
#  - writes "<date> <OK|FAILED> <seconds>s <run-dir>" to runs/<spec-name>/nightly-status.txt and stdout and
#    appends it (and any "SKIPPED" line) to runs/<spec-name>/nightly-history.txt.
# Exit: 0 OK; 1 the run failed (2 if hatflow said bad input/usage); 2 bad usage or spec here; 3 skipped.
# Environment: HATFLOW_CMD (default launch/hatflow; may hold words, e.g. "java -jar hatflow.jar"),
# HATFLOW_RUNS (runs root, default runs/ in the checkout; or a distributed filesystem, e.g.
# hdfs://NAMENODE:PORT/hatflow/runs or gs://BUCKET/runs: each night's run directory lives there, while the lock,
# logs and status files stay on this machine under NIGHTLY_STATE, default runs/ in the checkout; such a night
# starts empty, as there is nothing to hard-link: its stages run again), NIGHTLY_DATE (yyyy-mm-dd, default
# today: catch up or redo a given night).
set -uo pipefail
HATFLOW_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${HATFLOW_RUNS:-$HATFLOW_HOME/runs}"
read -r -a HATFLOW <<< "${HATFLOW_CMD:-$HATFLOW_HOME/launch/hatflow}"

usage() { echo "nightly: $*" >&2; echo "usage: $0 SPEC" >&2; exit 2; }

[ $# -eq 1 ] || usage "give exactly one spec file"
SPEC="$1"
[ -f "$SPEC" ] || usage "$SPEC: no such spec file"
# The spec's top-level `name:` (quotes and a trailing comment removed); the lead's loader validates the rest.
NAME="$(sed -n -E 's/^name:[[:space:]]*["'\'']?([^"'\''#[:space:]]*)["'\'']?[[:space:]]*(#.*)?$/\1/p' "$SPEC" | head -1)"
[[ "$NAME" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || usage "$SPEC: no usable top-level 'name:' line (got '$NAME')"
DATE="${NIGHTLY_DATE:-$(date +%F)}"
[[ "$DATE" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] && date -d "$DATE" >/dev/null 2>&1 || usage "NIGHTLY_DATE '$DATE' is not yyyy-mm-dd"

BASE="$RUNS/$NAME"
DIR="$BASE/$DATE"
REMOTE=0
if [[ "$RUNS" =~ ^[a-zA-Z][a-zA-Z0-9+.-]*:// ]]; then
  REMOTE=1
  BASE="${NIGHTLY_STATE:-$HATFLOW_HOME/runs}/$NAME" # lock, logs, status: on the machine that schedules
fi
LOCK="$BASE/.nightly.lock"
mkdir -p "$BASE/logs"

status() { # status line to stdout and the history; to nightly-status.txt unless a skip
  echo "$1"
  echo "$1" >> "$BASE/nightly-history.txt"
  if [ "${2:-}" != skip ]; then
    echo "$1" > "$BASE/nightly-status.txt.tmp" && mv "$BASE/nightly-status.txt.tmp" "$BASE/nightly-status.txt"
  fi
}

exec 9>>"$LOCK"
if ! flock -n 9; then
  holder="$(cat "$LOCK" 2>/dev/null)"
  echo "skipped: previous nightly still running (pid ${holder:-unknown})"
  echo "$DATE SKIPPED 0s $DIR (previous nightly still running, pid ${holder:-unknown})" >> "$BASE/nightly-history.txt"
  exit 3
fi
echo "$$" > "$LOCK"   # the lock is on the inode; rewriting the content keeps it

t0=$SECONDS
if [ "$REMOTE" = 0 ] && [ ! -e "$DIR" ]; then
  prev="$(find "$BASE" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended \
            -regex '.*/[0-9]{4}-[0-9]{2}-[0-9]{2}' -printf '%f\n' | sort | awk -v d="$DATE" '$0 < d' | tail -1)"
  if [ -n "$prev" ]; then
    tmp="$BASE/.$DATE.copy-$$"
    rm -rf "$tmp"
    if cp -al "$BASE/$prev" "$tmp"; then
      rm -f "$tmp/.lock"
      for f in manifest.json spec.yaml; do   # files a run rewrites: own copies, never shared inodes
        if [ -f "$tmp/$f" ]; then cp --remove-destination "$BASE/$prev/$f" "$tmp/$f"; fi
      done
      mv "$tmp" "$DIR"
      echo "nightly: $DIR starts from $prev (hard links)" >&2
    else
      rm -rf "$tmp"
      echo "nightly: could not hard-link $BASE/$prev (another file system?); starting $DIR empty" >&2
    fi
  fi
fi

LOG="$BASE/logs/$DATE.log"
"${HATFLOW[@]}" run --spec "$SPEC" --run-dir "$DIR" > "$LOG" 2>&1
rc=$?
secs=$((SECONDS - t0))
if [ "$rc" -eq 0 ]; then
  status "$DATE OK ${secs}s $DIR"
  exit 0
fi
status "$DATE FAILED ${secs}s $DIR exit=$rc log=$LOG"
grep -v '^\s*at ' "$LOG" | tail -15 >&2
[ "$rc" -eq 2 ] && exit 2
exit 1
