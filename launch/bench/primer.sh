#!/usr/bin/env bash
# Primer's primitives as genes: the tiny space vs tiny-primer (tiny plus per-layer activation relu / squared_relu /
# gelu and a 3x1 depthwise convolution after Q, K, V) at the same training steps, targets and budgets.
# Figures: per target and budget, the winners' BLEU and measured latency (finalize/results.json), and how often the
# search picked each primitive (active layers of the winners and of the final Pareto fronts).
# usage: launch/bench/primer.sh [--quick | --print TINY_RUN PRIMER_RUN]
#   default   launch/specs/multi30k-en-de.yaml (needs /work/shared/data/multi30k; over an hour per space on 2 cores)
#   --quick   launch/specs/demo.yaml (bundled testdata/, demo-sized: minutes per space)
#   --print   only the figures of two existing run directories
# The tiny run resolves its budgets from budgets_pct; tiny-primer then gets those budgets in ms (budgets_ms), so both
# searches answer the same latency question. env: RUN_BASE (default /tmp/hatflow-primer-<time>).
set -euo pipefail
cd "$(dirname "$0")/../.."
SPEC=launch/specs/multi30k-en-de.yaml
MODE=full
if [ "${1:-}" = "--quick" ]; then SPEC=launch/specs/demo.yaml; MODE=quick; shift; fi
if [ "${1:-}" = "--print" ]; then MODE=print; TINY_RUN="$2"; PRIMER_RUN="$3"; shift 3; fi
RUN_BASE=${RUN_BASE:-/tmp/hatflow-primer-$MODE-$(date -u +%Y%m%dT%H%M%S)}
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# flags: $(grep -m1 '^flags' /proc/cpuinfo | grep -o 'avx[^ ]*\|fma\|amx[^ ]*' | sort -u | tr '\n' ' ')"
echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; shared machine: latencies are indicative"

if [ "$MODE" != print ]; then
  TINY_RUN=$RUN_BASE-tiny
  PRIMER_RUN=$RUN_BASE-tiny-primer
  rm -rf "$TINY_RUN" "$PRIMER_RUN"
  t0=$(date +%s)
  launch/hatflow run --spec "$SPEC" --set model.space=tiny --run-dir "$TINY_RUN" "$@"
  echo "# tiny: $(( $(date +%s) - t0 )) s"
  # the same spec with the tiny run's budgets in ms, beside the original so its relative paths still resolve
  DERIVED=$(dirname "$SPEC")/.primer-$$.yaml
  trap 'rm -f "$DERIVED"' EXIT
  python3 - "$SPEC" "$TINY_RUN" "$DERIVED" <<'PY'
import json, re, sys
spec, run, out = sys.argv[1:]
budgets = {}
for w in json.load(open(f"{run}/search/winners.json"))["winners"]:
    budgets.setdefault(w["target"], []).append(w["budget_ms"])
lines, target = [], None
for line in open(spec):
    m = re.match(r"\s*- name:\s*(\S+)", line)
    if m:
        target = m.group(1)
    m = re.match(r"(\s*)budgets_pct:", line)
    if m and target in budgets:
        line = f"{m.group(1)}budgets_ms: [{', '.join(f'{b:.6g}' for b in sorted(budgets[target]))}]\n"
    lines.append(line)
open(out, "w").writelines(lines)
PY
  t0=$(date +%s)
  launch/hatflow run --spec "$DERIVED" --set model.space=tiny-primer --run-dir "$PRIMER_RUN" "$@"
  echo "# tiny-primer: $(( $(date +%s) - t0 )) s"
fi

python3 - "$TINY_RUN" "$PRIMER_RUN" <<'PY'
import collections, json, os, sys

def results(run):
    f = os.path.join(run, "finalize", "results.json")
    return json.load(open(f))["results"] if os.path.exists(f) else []

def primitives(configs):
    """Share of active layers with each activation / with the convolution, over configs (HAT maps)."""
    c = collections.Counter()
    for cfg in configs:
        for part in ("encoder", "decoder"):
            n = cfg[f"{part}_layer_num"]
            acts = cfg.get(f"{part}_activation", ["relu"] * n)[:n]
            conv = cfg.get(f"{part}_attention_dconv", [0] * n)[:n]
            c["layers"] += n
            for a in acts:
                c[a] += 1
            c["dconv"] += sum(1 for k in conv if k > 0)
    return c

print("\n== winners: BLEU (test split) and measured latency (ms) per target and budget")
print(f"  {'space':12s} {'target':14s} {'budget':>8s} {'BLEU':>6s} {'predicted':>9s}  {'measured (on each measured target)':34s} primitives")
for space, run in (("tiny", sys.argv[1]), ("tiny-primer", sys.argv[2])):
    for r in results(run):
        if r.get("kind") != "winner":
            continue
        t = r["target"]
        cfg = r.get("config", {})
        prim = primitives([cfg])
        n = prim["layers"] or 1
        desc = " ".join(f"{k} {prim[k]}/{n}" for k in ("squared_relu", "gelu", "dconv") if prim[k]) or "-"
        meas = ", ".join(f"{k} {v:.2f}" for k, v in sorted(r["measured_ms"].items())) or "-"
        pred = r["predicted_ms"].get(t)
        print(f"  {space:12s} {t:14s} {r.get('budget_ms', float('nan')):8.2f} {r['bleu']:6.2f} "
              f"{(pred if pred is not None else float('nan')):9.2f}  {meas:34s} {desc}")

run = sys.argv[2]
winners = [w["config"] for w in json.load(open(os.path.join(run, "search", "winners.json")))["winners"]]
c = primitives(winners)
print(f"\n== tiny-primer: primitives in the winners' {c['layers']} active layers")
for k in ("relu", "squared_relu", "gelu", "dconv"):
    print(f"  {k:13s} {c[k]:4d}  {100 * c[k] / max(1, c['layers']):5.1f}%   (uniform sampling: "
          f"{'33.3' if k != 'dconv' else '50.0'}%)")
pf = os.path.join(run, "search", "pareto.json")
if os.path.exists(pf):
    pareto = json.load(open(pf))
    points = pareto if isinstance(pareto, list) else [p for v in pareto.values() if isinstance(v, list) for p in v]
    cfgs = [p["config"] for p in points if isinstance(p, dict) and "config" in p]
    if cfgs:
        c = primitives(cfgs)
        print(f"  Pareto fronts ({len(cfgs)} points, {c['layers']} layers): " + ", ".join(
            f"{k} {100 * c[k] / max(1, c['layers']):.1f}%" for k in ("relu", "squared_relu", "gelu", "dconv")))
print(f"\n# load average at end: {open('/proc/loadavg').read().split()[:3]}")
PY
