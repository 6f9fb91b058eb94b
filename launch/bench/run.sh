#!/usr/bin/env bash
# Runs as data engineers schedule them: a fully cached re-run of the demo vs its first run, resume after
# `kill -9` in the middle of the search vs a fresh search (same winners required), and the cluster job time vs
# [local]: the demo search on the standalone Flink cluster, on [local] and on DirectRunner (launch/bench/cluster.sh,
# from this run's stages; winners must be byte-identical). BENCH_CLUSTER=0 skips that last part.
#   launch/bench/run.sh            (uses runs/bench-run; takes a few minutes, about twice that with the cluster)
set -euo pipefail
cd "$(dirname "$0")/../.."
H=launch/hatflow
D=runs/bench-run
SPEC=launch/specs/demo.yaml
now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.1f\", $2 - $1}"; }
rm -rf "$D"

t0=$(now); $H demo --run-dir "$D" > /tmp/bench-run-first.log 2>&1; t1=$(now)
$H demo --run-dir "$D" > /tmp/bench-run-cached.log 2>&1; t2=$(now)
first=$(secs "$t0" "$t1"); cached=$(secs "$t1" "$t2")
grep -c "cached" /tmp/bench-run-cached.log > /dev/null || { echo "cached re-run did not cache"; exit 1; }
echo "first demo run:          ${first} s"
echo "fully cached re-run:     ${cached} s ($(awk "BEGIN{printf \"%.1f\", 100*$cached/$first}")% of the first; target < 5%)"

cp "$D/search/winners.json" /tmp/bench-run-winners.json
# A fresh search (no fitness store, no state) for the reference time.
rm -rf "$D/search"
t3=$(now); $H run --spec "$SPEC" --run-dir "$D" --only search --force search > /tmp/bench-run-fresh.log 2>&1; t4=$(now)
fresh=$(secs "$t3" "$t4")
cmp -s "$D/search/winners.json" /tmp/bench-run-winners.json && same1=yes || same1=NO
# Kill -9 once two generations have finished, then run the same command again.
rm -rf "$D/search"
t5=$(now)
$H run --spec "$SPEC" --run-dir "$D" --only search --force search > /tmp/bench-run-killed.log 2>&1 &
pid=$!
until grep -q "gen 2/" /tmp/bench-run-killed.log 2>/dev/null; do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
jpid=$(pgrep -P "$pid" java || echo "$pid")
kill -9 "$jpid" "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
t6=$(now)
$H run --spec "$SPEC" --run-dir "$D" --only search > /tmp/bench-run-resumed.log 2>&1; t7=$(now)
killed=$(secs "$t5" "$t6"); resumed=$(secs "$t6" "$t7")
cmp -s "$D/search/winners.json" /tmp/bench-run-winners.json && same2=yes || same2=NO
echo "fresh search:            ${fresh} s (winners equal the demo's: ${same1})"
echo "killed after gen 2:      ${killed} s; resumed run: ${resumed} s (winners equal: ${same2})"
echo "resume saved:            $(secs "$resumed" "$fresh") s vs a fresh search ($(grep -c '(resumed)' /tmp/bench-run-resumed.log) generations replayed from state)"

if [ "${BENCH_CLUSTER:-1}" != 0 ]; then
  # The demo's search again, on the cluster, [local] and Direct, each from a fresh copy of this run's stages.
  if BENCH_BASE="$PWD/$D" launch/bench/cluster.sh > /tmp/bench-run-cluster.log 2>&1; then status=0; else status=$?; fi
  grep -E '^(run [0-9]+:|median of|OK:|MISMATCH|  differs)' /tmp/bench-run-cluster.log | sed 's/^/cluster job time vs [local]: /'
  [ "$status" = 0 ] || { echo "cluster bench failed (log: /tmp/bench-run-cluster.log)"; exit 1; }
fi
