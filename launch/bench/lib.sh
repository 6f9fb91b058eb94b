# Sourced by the bench scripts (from the repository root).
#
# bench_classpath MODULE: compiles MODULE, its tests and the modules it depends on in ONE reactor invocation and
# prints a class path (their target/classes and target/test-classes, then the dependencies). One reactor run
# resolves our modules to their target/ folders, so nothing has to be installed into ~/.m2 first; no -o, so a
# fresh machine fetches Maven's plugins once; and Maven's errors are shown, never sent to /dev/null.
bench_classpath() {
  local module=$1 out cp="" m
  out=$(mktemp /tmp/hatflow-bench-cp.XXXXXX)
  if ! mvn -B -q -pl "$module" -am test-compile dependency:build-classpath -Dmdep.outputFile="$out" >&2; then
    rm -f "$out"
    echo "bench: compiling $module and its class path failed (Maven's output above)" >&2
    return 1
  fi
  for m in schemas core model transforms pipelines; do
    cp="$cp$m/target/classes:"
    [ -d "$m/target/test-classes" ] && cp="$cp$m/target/test-classes:"
    [ "$m" = "$module" ] && break
  done
  echo "$cp$(cat "$out")"
  rm -f "$out"
}

# The CPU line and flags every figure is printed beside (machines of one kind differ up to ~3x).
bench_cpu() {
  echo "# $(grep -m1 'model name' /proc/cpuinfo | tr -s '\t ' ' '); $(nproc) cores; flags: $(grep -m1 '^flags' /proc/cpuinfo \
    | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_vnni|avx_vnni|amx_tile|fma)$' | tr '\n' ' '); load $(cut -d' ' -f1-3 /proc/loadavg)"
}
