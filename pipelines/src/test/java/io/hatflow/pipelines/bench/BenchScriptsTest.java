package io.hatflow.pipelines.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The bench scripts run on a fresh clone: each one parses, builds its class path only through
 * {@code launch/bench/lib.sh} (one reactor invocation, errors shown; issue 18 found three that
 * exited 1 printing nothing because their per-module {@code dependency:build-classpath} could not
 * resolve unreleased siblings), and the predictor bench runs for real in its smallest mode.
 */
class BenchScriptsTest {
  private static final Path REPO = Path.of("").toAbsolutePath().getParent();
  private static final Path BENCH = REPO.resolve("launch/bench");

  private static List<Path> scripts() throws IOException {
    try (Stream<Path> s = Files.list(BENCH)) {
      return s.filter(p -> p.toString().endsWith(".sh")).sorted().toList();
    }
  }

  private static Run bash(Path dir, long timeoutS, String... cmd) throws Exception {
    List<String> c = new ArrayList<>(List.of("bash"));
    c.addAll(List.of(cmd));
    Process p = new ProcessBuilder(c).directory(dir.toFile()).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(timeoutS, TimeUnit.SECONDS), "timed out: " + c);
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private record Run(int code, String out) {}

  @Test
  void everyScriptParsesAndTakesItsClassPathFromTheSharedHelper() throws Exception {
    List<Path> all = scripts();
    assertTrue(all.size() >= 10, "bench scripts found in " + BENCH);
    Pattern ownBuild =
        Pattern.compile("^[^#]*\\bmvn\\b.*dependency:build-classpath", Pattern.MULTILINE);
    Pattern hidden = Pattern.compile("^[^#]*\\bmvn\\b[^\\n]*>\\s*/dev/null", Pattern.MULTILINE);
    for (Path s : all) {
      Run n = bash(REPO, 30, "-n", s.toString());
      assertEquals(0, n.code(), s + " does not parse: " + n.out());
      if (s.getFileName().toString().equals("lib.sh")) {
        continue;
      }
      String text = Files.readString(s);
      assertFalse(
          ownBuild.matcher(text).find(),
          s + " builds its own class path: use bench_classpath (lib.sh)");
      assertFalse(hidden.matcher(text).find(), s + " hides Maven's errors");
    }
  }

  @Test
  void predictorBenchRunsInItsSmallestMode() throws Exception {
    Run r = bash(REPO, 600, "launch/bench/latency.sh", "--models", "linear");
    assertEquals(0, r.code(), r.out());
    assertTrue(r.out().contains(" cores; flags: "), "prints the CPU line and flags:\n" + r.out());
    assertTrue(
        Pattern.compile("(?m)^linear\\s+given\\s+1\\.0\\s+\\d+\\.\\d+").matcher(r.out()).find(),
        "a table row for the linear model on HAT's split:\n" + r.out());
  }
}
