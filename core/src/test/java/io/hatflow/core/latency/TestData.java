package io.hatflow.core.latency;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the repository's testdata/ by walking up from the working directory. */
final class TestData {
  private TestData() {}

  static Path dir() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("testdata"))) {
        return p.resolve("testdata");
      }
    }
    throw new IllegalStateException("no testdata/ above " + Path.of("").toAbsolutePath());
  }

  static Path xeonCsv() {
    return dir().resolve("latency/wmt14ende_cpu_xeon_all.csv");
  }

  static Path xeonSplit() {
    return dir().resolve("latency/wmt14ende_cpu_xeon_seed0_split.json");
  }
}
