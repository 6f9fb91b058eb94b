package io.hatflow.core.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One recorded input or output of a stage, as {@code manifest.json} holds it: its path (relative to
 * the run directory when inside it, else absolute or a URI), SHA-256 ({@link Digests#sha256Tree}),
 * size and, for a folder, each file's digest so a consumer that finds the folder changed can name
 * the file.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Artifact(String path, String sha256, Long bytes, Map<String, String> files) {

  /**
   * A local file or folder, digested now; {@code runDir} (may be null) makes the path relative to
   * the run.
   */
  public static Artifact of(Path path, Path runDir) {
    Path shown =
        runDir != null && path.toAbsolutePath().startsWith(runDir.toAbsolutePath())
            ? runDir.toAbsolutePath().relativize(path.toAbsolutePath())
            : path.toAbsolutePath();
    Map<String, String> files = null;
    if (Files.isDirectory(path)) {
      files = new LinkedHashMap<>();
      for (Path f : Digests.files(path)) {
        files.put(path.relativize(f).toString().replace('\\', '/'), Digests.sha256(f));
      }
    }
    return new Artifact(shown.toString(), Digests.sha256Tree(path), size(path), files);
  }

  /**
   * A non-local artifact (e.g. {@code gs://}) by name, with the digest of the bytes read when
   * known.
   */
  public static Artifact remote(String uri, String sha256) {
    return new Artifact(uri, sha256, null, null);
  }

  /** A path in the run directory with the digest it had when a stage consumed it. */
  public static Artifact used(String path, String sha256) {
    return new Artifact(path, sha256, null, null);
  }

  /** Whether the path names a remote object ({@code scheme://}), which cannot be digested here. */
  public boolean remoteUri() {
    return path != null && path.contains("://");
  }

  /**
   * What differs between this recorded folder and the folder {@code dir} now: the first changed,
   * missing or added file relative to the run directory, or null when its per-file digests were not
   * recorded.
   */
  public String firstDifference(Path dir) {
    if (files == null || !Files.isDirectory(dir)) {
      return null;
    }
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Path f : Digests.files(dir)) {
      String rel = dir.relativize(f).toString().replace('\\', '/');
      seen.add(rel);
      if (!files.containsKey(rel)) {
        return path + "/" + rel + " (not recorded: added afterwards)";
      }
      if (!files.get(rel).equals(Digests.sha256(f))) {
        return path + "/" + rel;
      }
    }
    for (String rel : files.keySet()) {
      if (!seen.contains(rel)) {
        return path + "/" + rel + " (missing)";
      }
    }
    return null;
  }

  private static long size(Path p) {
    long total = 0;
    for (Path f : Files.isDirectory(p) ? Digests.files(p) : List.of(p)) {
      try {
        total += Files.size(f);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return total;
  }
}
