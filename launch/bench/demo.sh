#!/usr/bin/env bash
# The whole HAT path end to end, with its figures: per-stage time (manifest.json), the winners' BLEU, measured
# vs predicted latency, over-budget flags and Kendall's tau of inherited vs trained fitness (finalize/).
# usage: launch/bench/demo.sh [--multi30k | --print RUN_DIR]
#   default     launch/hatflow demo into a fresh run directory (tiny space, testdata/; a few minutes on 2 cores)
#   --multi30k  launch/hatflow run --spec launch/specs/multi30k-en-de.yaml (about an hour on 2 cores; needs the data)
#   --print D   only the figures of an existing run directory D
# env: RUN_DIR (default /tmp/hatflow-demo-<time>), extra arguments go to the hatflow command.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=demo
if [ "${1:-}" = "--multi30k" ]; then MODE=multi30k; shift; fi
if [ "${1:-}" = "--print" ]; then MODE=print; RUN_DIR="$2"; shift 2; fi
RUN_DIR=${RUN_DIR:-/tmp/hatflow-$MODE-$(date -u +%Y%m%dT%H%M%S)}
echo "# machine: $(nproc) cores, $(hostname); shared and noisy: timings are indicative"
if [ "$MODE" != print ]; then
  rm -rf "$RUN_DIR"
  t0=$(date +%s)
  if [ "$MODE" = demo ]; then
    launch/hatflow demo --run-dir "$RUN_DIR" "$@"
  else
    launch/hatflow run --spec launch/specs/multi30k-en-de.yaml --run-dir "$RUN_DIR" "$@"
  fi
  echo "# wall time: $(( $(date +%s) - t0 )) s, run directory $RUN_DIR"
fi
[ -f "$RUN_DIR/report/index.html" ] || launch/hatflow report "$RUN_DIR" >/dev/null || true

python3 - "$RUN_DIR" <<'PY'
import csv, json, os, sys
run = sys.argv[1]
m = json.load(open(os.path.join(run, "manifest.json")))
print("\n== stages (manifest.json)")
for name, s in m.get("stages", {}).items():
    print(f"  {name:10s} {s.get('status', '?'):8s} {s.get('seconds', float('nan')):8.1f} s")
res = os.path.join(run, "finalize", "results.json")
if not os.path.exists(res):
    print("\nno finalize/results.json: finalize did not run"); sys.exit(0)
rows = json.load(open(res))["results"]
print("\n== finalized models (BLEU on the test split; latency in ms, error = (predicted - measured) / measured)")
print(f"  {'model':18s} {'params':>9s} {'inh.loss':>8s} {'trained':>8s} {'BLEU':>6s}  latency per target")
for r in rows:
    lat = []
    for t in sorted(set(r["predicted_ms"]) | set(r["measured_ms"])):
        p, me = r["predicted_ms"].get(t), r["measured_ms"].get(t)
        s = f"{t}: pred {p:.2f}" if p is not None else f"{t}: pred n/a"
        if me is not None:
            s += f" meas {me:.2f}" + (f" ({100 * (p - me) / me:+.1f}%)" if p is not None else "")
        lat.append(s)
    flag = "  OVER BUDGET" if r["over_budget"] else ""
    print(f"  {r['name']:18s} {r['params']:9d} {r['inherited_loss']:8.3f} {r['trained_loss']:8.3f} {r['bleu']:6.2f}  "
          + "; ".join(lat) + flag)
errs = [abs(100 * (r["predicted_ms"][t] - v) / v) for r in rows for t, v in r["measured_ms"].items() if t in r["predicted_ms"]]
if errs:
    errs.sort()
    print(f"\n  |prediction error| over {len(errs)} measurements: median {errs[len(errs) // 2]:.1f}%, max {errs[-1]:.1f}%")
rk = json.load(open(os.path.join(run, "finalize", "ranking.json")))
f = lambda x: "n/a" if x is None else f"{x:.3f}"
print(f"\n== Kendall's tau over {rk['models']} models: inherited vs trained loss {f(rk['kendall_tau_inherited_vs_trained_loss'])}, "
      f"inherited loss vs BLEU {f(rk['kendall_tau_inherited_loss_vs_bleu'])}")
print(f"\nreport: {os.path.join(run, 'report', 'index.html')}")
PY
