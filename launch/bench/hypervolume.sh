#!/usr/bin/env bash
# HAT's search vs NSGA-II (search.mode: nsga2) at an equal number of candidates, from one trained run: the final
# hypervolume of each per target (HAT: of the front of every config it evaluated; NSGA-II: of its final front)
# and their ratio, as each search recorded it (search/hypervolume.json: loss bounds from its own generation 0)
# and on common bounds (both runs' loss bounds joined; the latency bounds are the predictor's, the same in both).
#
# usage: launch/bench/hypervolume.sh RUN_DIR [extra hatflow arguments, e.g. --set search.generations=4]
#   RUN_DIR  a finished run of SPEC up to the predictor stage: `launch/hatflow demo --run-dir RUN_DIR` first
#            (a few minutes on 2 cores). It is not changed: each mode searches in its own copy, without the
#            copy's evaluation store, so both pay for every fitness evaluation.
# env: SPEC (default launch/specs/demo.yaml), POP PARENTS MUT CROSS GENS (default the demo's 40 10 15 15 8: two
#   searches of ~1.5 min on 2 cores), K = budgets per target (default 2, the demo's). HAT runs K searches per target
#   with these sizes, NSGA-II one per target with K times them: the same candidates per target and generation.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN_DIR=${1:?usage: launch/bench/hypervolume.sh RUN_DIR [hatflow arguments]}
shift
SPEC=${SPEC:-launch/specs/demo.yaml}
POP=${POP:-40}; PARENTS=${PARENTS:-10}; MUT=${MUT:-15}; CROSS=${CROSS:-15}; GENS=${GENS:-8}; K=${K:-2}
[ -d "$RUN_DIR/predictor" ] || { echo "$RUN_DIR: no predictor/ (run launch/hatflow demo --run-dir $RUN_DIR first)" >&2; exit 2; }
W=$(mktemp -d /tmp/hatflow-hv-XXXXXX)
echo "# $(grep -m1 'model name' /proc/cpuinfo | tr -s '\t ' ' ')"
echo "# flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_vnni|avx_vnni|fma|amx)' | tr '\n' ' ')"
echo "# machine: $(nproc) cores; work in $W; sizes per HAT search: $POP/$PARENTS/$MUT/$CROSS x $GENS generations, K=$K"

search() { # mode population parents mutations crossovers
  local dir="$W/$1"
  cp -a "$RUN_DIR" "$dir"
  rm -rf "$dir/search" "$dir/finalize" "$dir/report"
  local t0; t0=$(date +%s)
  launch/hatflow search --spec "$SPEC" --run-dir "$dir" --force \
    --set search.mode="$1" --set search.population="$2" --set search.parents="$3" \
    --set search.mutations="$4" --set search.crossovers="$5" --set search.generations="$GENS" "${@:6}" \
    | grep -E '^\[search\] (search gen|warning)' || true
  [ -f "$dir/search/hypervolume.json" ] || { echo "$1: the search did not finish (see above)" >&2; exit 1; }
  echo "# $1: $(( $(date +%s) - t0 )) s"
}
search hat "$POP" "$PARENTS" "$MUT" "$CROSS" "$@"
search nsga2 $((K * POP)) $((K * PARENTS)) $((K * MUT)) $((K * CROSS)) "$@"

python3 - "$W" <<'PY'
import json, os, sys
w = sys.argv[1]
def load(mode, f):
    return json.load(open(os.path.join(w, mode, "search", f)))
def counts(mode):
    c = json.load(open(os.path.join(w, mode, "manifest.json")))["stages"]["search"]["counts"]
    return c["candidates"], c["fitness_evaluations"]
def hv2d(points, rx, ry):  # the exact sweep of core/.../search/Hypervolume.of2d
    area, best = 0.0, ry
    for x, y in sorted(p for p in points if p[0] < rx and p[1] < ry):
        if y < best:
            area, best = area + (rx - x) * (best - y), y
    return area
hv = {m: load(m, "hypervolume.json") for m in ("hat", "nsga2")}
fronts = {"hat": load("hat", "pareto.json"), "nsga2": load("nsga2", "front.json")}
lo = min(hv[m]["loss_bounds"][0] for m in hv)
hi = max(hv[m]["loss_bounds"][1] for m in hv)
rx, ry = hv["hat"]["reference"]
for m in ("hat", "nsga2"):
    cand, ev = counts(m)
    print(f"{m:6s} candidates {cand}, fitness evaluations {ev}, loss bounds {hv[m]['loss_bounds']}")
print(f"common loss bounds [{lo}, {hi}], reference [{rx}, {ry}]")
print(f"{'target':16s} {'HAT':>8s} {'NSGA-II':>8s} {'ratio':>6s}   common bounds: {'HAT':>8s} {'NSGA-II':>8s} {'ratio':>6s}")
for t in sorted(hv["hat"]["final"]):
    a, b = hv["hat"]["final"][t], hv["nsga2"]["final"][t]
    llo, lhi = hv["hat"]["latency_bounds_ms"][t]
    def common(m):
        pts = [((p["fitness"] - lo) / (hi - lo), (p["predicted_ms"] - llo) / (lhi - llo)) for p in fronts[m][t]]
        return hv2d(pts, rx, ry)
    ca, cb = common("hat"), common("nsga2")
    print(f"{t:16s} {a:8.4f} {b:8.4f} {b / a:6.3f}   {'':14s} {ca:8.4f} {cb:8.4f} {cb / ca:6.3f}")
PY
