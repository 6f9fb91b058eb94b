#!/usr/bin/env bash
# Compares io.hatflow.core.bleu against sacreBLEU's own Python code on multi30k, and times 1M segments.
# sacreBLEU is not pip-installable here; SACREBLEU_GIT points at a git checkout of mjpost/sacrebleu
# (tag v2.6.0 or later with the same BLEU code). Its package is run from source with stub modules for
# the imports BLEU never uses (portalocker, tabulate, lxml). Needs python3 with `regex` (for intl).
set -euo pipefail
cd "$(dirname "$0")/../.."
SACREBLEU_GIT=${SACREBLEU_GIT:-/work/.mirror/mjpost+sacrebleu/repo}
DATA=${DATA:-/work/shared/data/multi30k}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

mkdir -p "$W/sb/stubs/lxml"
git --git-dir="$SACREBLEU_GIT" archive HEAD sacrebleu | tar -x -C "$W/sb"
echo '__version__ = "2.6.0"' > "$W/sb/sacrebleu/version.py"
: > "$W/sb/sacrebleu/__init__.py"   # skip the package's eager imports (datasets, lxml)
echo 'def tabulate(*a, **k): return ""' > "$W/sb/stubs/tabulate.py"
: > "$W/sb/stubs/portalocker.py"; : > "$W/sb/stubs/lxml/__init__.py"; : > "$W/sb/stubs/lxml/etree.py"
PY="env PYTHONPATH=$W/sb:$W/sb/stubs python3 launch/bench/sacrebleu_grid.py"

. launch/bench/lib.sh
CP=$(bench_classpath core)
JAVA="java -cp $CP io.hatflow.core.bleu.BleuTool"

fail=0
for lang in de en; do
  for split in test_2016_flickr val; do
    ref="$DATA/$split.$lang.gz"
    [ -f "$ref" ] || continue
    $PY perturb "$ref" "$W/hyp.$split.$lang" 7
    $JAVA grid "$W/hyp.$split.$lang" "$ref" > "$W/java.txt"
    $PY grid "$W/hyp.$split.$lang" "$ref" > "$W/py.txt"
    n=$(wc -l < "$W/py.txt")
    if diff -q "$W/java.txt" "$W/py.txt" >/dev/null; then
      echo "grid $split.$lang: $n option combinations, all identical (formatted line, score repr, counts, totals)"
    else
      fail=1; echo "grid $split.$lang: DIFFERENCES"; diff "$W/java.txt" "$W/py.txt" | head -20
    fi
    head -1 "$W/java.txt" | cut -f1
  done
done

for lang in de en; do
  src="$DATA/train.$lang.gz"
  [ -f "$src" ] || continue
  for spec in 13a intl char 13a:lc intl:lc; do
    kind=${spec%%:*}; lc=""; [ "$kind" = "$spec" ] || lc=lc
    $JAVA tok "$kind" "$src" $lc > "$W/jt.txt"
    $PY tok "$kind" "$src" $lc > "$W/pt.txt"
    d=$(diff "$W/jt.txt" "$W/pt.txt" | grep -c '^<' || true)
    echo "tokenize $spec train.$lang: $(wc -l < "$W/pt.txt") lines, $d differing"
    [ "$d" = 0 ] || fail=1
  done
done

echo "--- speed (machine shared with other jobs: noisy) ---"
$JAVA bench 1000000 "$DATA/train.en.gz"
exit $fail
