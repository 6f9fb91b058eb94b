#!/usr/bin/env bash
# Sparse fine-tuning of a run's winners (finalize.update): all, bias, last_k 2 and auto at budget 0.3, each in a
# copy of the run and its own JVM, the same finalize.steps for all. Per winner: updated layers and parameters; from
# the manifest's stages.finalize.training.costs, the median update and backward time and the peak RSS while training (largest
# resident set sampled between a forward pass and its backward); the process's max RSS (GNU time); validation loss
# (best validated step, as finalize keeps) and test BLEU (beam 1, to keep it short). The run's own --set overrides
# (from its manifest) are replayed, so its upstream stages stay current.
#   [MODES="all bias last_k auto"] [BUDGETS=0.3] launch/bench/finalize_sparse.sh RUN_DIR [SPEC=launch/specs/demo.yaml] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN=${1:?usage: finalize_sparse.sh RUN_DIR [SPEC] [STEPS]}
SPEC=${2:-launch/specs/demo.yaml}
STEPS=${3:-}
[ -f "$RUN/search/winners.json" ] || { echo "no finished search in $RUN (search/winners.json)" >&2; exit 2; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
grep -m1 'model name' /proc/cpuinfo
grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|avx512f|avx512_vnni|avx512_bf16|amx_tile|fma|f16c)$' \
  | tr '\n' ' '; echo
echo "cores $(nproc), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
launch/hatflow --version >/dev/null 2>&1 || true   # builds the jar once, outside the timings
mapfile -t RUN_SETS < <(python3 -c 'import json, sys
for o in json.load(open(sys.argv[1])).get("overrides", []): print("--set"); print(o["key"] + "=" + o["value"])' \
  "$RUN/manifest.json")

run_mode() { # name, --set arguments...
  local name=$1; shift
  rm -rf "$W/run"; cp -a "$RUN" "$W/run"; rm -f "$W/run/.lock"
  local sets=("${RUN_SETS[@]}" --set finalize.random_subnets=0 --set finalize.export=false --set finalize.beam=1 "$@")
  [ -n "$STEPS" ] && sets+=(--set "finalize.steps=$STEPS")
  /usr/bin/time -f '%M' -o "$W/maxrss" launch/hatflow finalize --spec "$SPEC" --run-dir "$W/run" "${sets[@]}" --force \
    > "$W/$name.log" 2>&1 || { echo "finalize $name failed:"; tail -20 "$W/$name.log"; exit 1; }
  grep -E "auto picked|sparse fine-tuning|probe " "$W/$name.log" | sed 's/^/  /' || true
  python3 - "$W/run" "$name" "$(cat "$W/maxrss")" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1] + "/finalize/results.json"))["results"]
costs = json.load(open(sys.argv[1] + "/manifest.json"))["stages"]["finalize"].get("training", {}).get("costs", {})
for r in rs:
    layers = " ".join(r["updated_layers"]) or "-"
    cost = costs.get(r["name"], {})  # none: auto picked nothing, not trained
    n = lambda k: cost.get(k, float("nan"))
    print(f"{sys.argv[2]:<8} {r['name']:<22} {layers:<26} {r['updated_params']:>9} {n('step_ms'):>8.1f} "
          f"{n('backward_ms'):>8.1f} {n('peak_rss_mb'):>8.0f} {int(sys.argv[3]) / 1024:>8.0f} "
          f"{r['inherited_loss']:>7.4f} {r['trained_loss']:>7.4f} {r['kept_step']:>4} {r['bleu']:>6.2f}")
PY
}

printf '%-8s %-22s %-26s %9s %8s %8s %8s %8s %7s %7s %4s %6s\n' update model layers params step_ms bwd_ms \
  rss_mb proc_mb inh_loss val_loss kept bleu
for m in ${MODES:-all bias last_k auto}; do
  case $m in
    all) run_mode all ;;
    bias) run_mode bias --set finalize.update=bias ;;
    last_k) run_mode last_k --set finalize.update=last_k --set finalize.update_layers=2 ;;
    auto) for b in ${BUDGETS:-0.3}; do run_mode "auto$b" --set finalize.update=auto --set finalize.update_budget="$b"; done ;;
  esac
done
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
