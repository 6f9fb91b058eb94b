#!/usr/bin/env bash
# Tests launch/nightly.sh with a stub in place of `hatflow` (HATFLOW_CMD). Run: launch/tests/nightly_test.sh
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NIGHTLY="$HERE/../nightly.sh"
T="$(mktemp -d)"
trap 'kill "${holder_pid:-}" 2>/dev/null; rm -rf "$T"' EXIT
export HATFLOW_RUNS="$T/runs"
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1   ($2)"; fails=$((fails + 1)); fi; }

# The stub records its arguments, and like `hatflow run` writes a stage output and manifest via temp + rename.
cat > "$T/hatflow-stub" <<'STUB'
#!/usr/bin/env bash
echo "$*" >> "$STUB_CALLS"
dir="${@: -1}"
case "$dir" in *://*) exit "${STUB_RC:-0}" ;; esac # a remote run directory: hatflow's business
mkdir -p "$dir/prepare"
if [ ! -f "$dir/prepare/shard.avro" ]; then echo "data $RANDOM" > "$dir/prepare/.s.tmp" && mv "$dir/prepare/.s.tmp" "$dir/prepare/shard.avro"; fi
echo '{"finished": true}' > "$dir/.m.tmp" && mv "$dir/.m.tmp" "$dir/manifest.json"
echo "pid $$" > "$dir/.lock"
sleep "${STUB_SLEEP:-0}"
exit "${STUB_RC:-0}"
STUB
chmod +x "$T/hatflow-stub"
export HATFLOW_CMD="$T/hatflow-stub" STUB_CALLS="$T/calls"
printf 'version: 1\nname: "nightly-test"  # quoted, with a comment\nseed: 1\n' > "$T/spec.yaml"
B="$HATFLOW_RUNS/nightly-test"

out="$(NIGHTLY_DATE=2026-11-24 "$NIGHTLY" "$T/spec.yaml")"; rc=$?
check "first night exits 0" '[ $rc -eq 0 ]'
check "status line on stdout" '[[ "$out" =~ ^2026-11-24\ OK\ [0-9]+s\ $B/2026-11-24$ ]]'
check "status file holds it" '[ "$(cat "$B/nightly-status.txt")" = "$out" ]'
check "hatflow called with run --spec --run-dir" '[ "$(cat "$T/calls")" = "run --spec $T/spec.yaml --run-dir $B/2026-11-24" ]'

out="$(NIGHTLY_DATE=2026-11-25 "$NIGHTLY" "$T/spec.yaml" 2>/dev/null)"; rc=$?
check "second night exits 0" '[ $rc -eq 0 ]'
check "stage output hard-linked from the night before" \
  '[ "$(stat -c %i "$B/2026-11-25/prepare/shard.avro")" = "$(stat -c %i "$B/2026-11-24/prepare/shard.avro")" ]'
check "manifest is its own copy" \
  '[ "$(stat -c %i "$B/2026-11-25/manifest.json")" != "$(stat -c %i "$B/2026-11-24/manifest.json")" ]'
check "earlier night's .lock not shared" \
  '[ "$(stat -c %i "$B/2026-11-25/.lock")" != "$(stat -c %i "$B/2026-11-24/.lock")" ]'
check "no copy leftovers" '[ -z "$(find "$B" -maxdepth 1 -name ".*copy*")" ]'

out="$(NIGHTLY_DATE=2026-11-27 STUB_RC=1 "$NIGHTLY" "$T/spec.yaml" 2>/dev/null)"; rc=$?
check "failed run exits 1" '[ $rc -eq 1 ]'
check "FAILED status" '[[ "$(cat "$B/nightly-status.txt")" =~ ^2026-11-27\ FAILED\ [0-9]+s\ $B/2026-11-27\ exit=1 ]]'
check "skipped a missing night: started from the latest earlier one" '[ -f "$B/2026-11-27/prepare/shard.avro" ]'

NIGHTLY_DATE=2026-11-28 STUB_SLEEP=3 "$NIGHTLY" "$T/spec.yaml" > /dev/null 2>&1 &
holder_pid=$!
for _ in $(seq 50); do grep -q 2026-11-28 "$T/calls" && break; sleep 0.1; done
out="$(NIGHTLY_DATE=2026-11-28 "$NIGHTLY" "$T/spec.yaml" 2>&1)"; rc=$?
check "overlapping nightly exits 3" '[ $rc -eq 3 ]'
check "overlap message names the holder" '[ "$out" = "skipped: previous nightly still running (pid $holder_pid)" ]'
check "status file untouched by the skip" '[[ "$(cat "$B/nightly-status.txt")" =~ 2026-11-27\ FAILED ]]'
wait "$holder_pid"; hrc=$?
check "the holder finishes OK" '[ $hrc -eq 0 ] && [[ "$(cat "$B/nightly-status.txt")" =~ ^2026-11-28\ OK ]]'

# A runs root on a distributed filesystem: the run directory there, lock, logs and status on this machine.
out="$(HATFLOW_RUNS=hdfs://namenode:8020/hatflow/runs NIGHTLY_STATE="$T/state" NIGHTLY_DATE=2026-11-29 \
  "$NIGHTLY" "$T/spec.yaml" 2>/dev/null)"; rc=$?
check "remote runs root: exits 0" '[ $rc -eq 0 ]'
check "remote runs root: hatflow gets the URI as --run-dir" \
  '[ "$(tail -1 "$T/calls")" = "run --spec $T/spec.yaml --run-dir hdfs://namenode:8020/hatflow/runs/nightly-test/2026-11-29" ]'
check "remote runs root: status and log on this machine" \
  '[[ "$(cat "$T/state/nightly-test/nightly-status.txt")" =~ ^2026-11-29\ OK\ [0-9]+s\ hdfs://namenode:8020/hatflow/runs/nightly-test/2026-11-29$ ]] && [ -f "$T/state/nightly-test/logs/2026-11-29.log" ]'
check "remote runs root: nothing local named after the URI" '[ -z "$(find "$T" -name "hdfs:*")" ]'

printf 'version: 1\nseed: 1\n' > "$T/noname.yaml"
"$NIGHTLY" "$T/noname.yaml" > /dev/null 2>&1; rc=$?
check "spec without name: exits 2" '[ $rc -eq 2 ]'
"$NIGHTLY" > /dev/null 2>&1; rc=$?
check "no spec: exits 2" '[ $rc -eq 2 ]'

echo "nightly_test: $fails failure(s)"
[ "$fails" -eq 0 ]
