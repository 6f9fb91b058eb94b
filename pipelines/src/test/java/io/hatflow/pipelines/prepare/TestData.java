package io.hatflow.pipelines.prepare;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Finds the repository's testdata/ by walking up from the working directory. */
public final class TestData {
  private TestData() {}

  public static Path dir() {
    for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("testdata"))) {
        return p.resolve("testdata");
      }
    }
    throw new IllegalStateException("no testdata/ above " + Paths.get("").toAbsolutePath());
  }

  public static String multi30k(String name) {
    return dir().resolve("multi30k").resolve(name).toString();
  }
}
