package io.hatflow.transforms.io;

import io.hatflow.core.run.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * How code inside a Beam job opens a run's artifacts (checkpoint, validation shards, predictors):
 * by URI through Beam's FileSystems, checked against the digest the client recorded, and copied
 * once per worker JVM (shared by the jobs it runs) to a local temporary folder keyed by that
 * digest, removed when the JVM exits. No worker relies on the client's disk: a local path is only
 * used in place when this JVM can see it, and is digest-checked all the same.
 */
public final class Artifacts {
  private Artifacts() {}

  /**
   * A file or folder of a run, by URI, with its recorded SHA-256 ({@code Digests.sha256Tree} for a
   * folder).
   */
  public record Ref(String uri, String sha256, boolean folder) implements Serializable {
    public static Ref file(String uri, String sha256) {
      return new Ref(uri, sha256, false);
    }

    public static Ref folder(String uri, String sha256) {
      return new Ref(uri, sha256, true);
    }
  }

  /** Thrown when an artifact's bytes no longer match its recorded digest: never used. */
  public static final class DigestMismatchException extends IllegalStateException
      implements io.hatflow.core.run.ExpectedFailure {
    public DigestMismatchException(String msg) {
      super(msg);
    }
  }

  private static final Map<String, Path> LOCAL = new ConcurrentHashMap<>();
  private static Path root;

  /**
   * A local path holding {@code ref}'s verified bytes (the same path for the same digest in this
   * JVM).
   */
  public static Path local(Ref ref) {
    return LOCAL.computeIfAbsent(ref.sha256() + "|" + ref.uri(), k -> fetch(ref));
  }

  private static Path fetch(Ref ref) {
    Path inPlace = localPath(ref.uri());
    if (inPlace != null && Files.exists(inPlace)) {
      check(ref, inPlace);
      return inPlace;
    }
    try {
      Path dir = Files.createDirectories(root().resolve(ref.sha256()));
      dir.toFile().deleteOnExit();
      String name = ref.uri().replaceAll("/+$", "");
      name = name.substring(name.lastIndexOf('/') + 1);
      Path dst = dir.resolve(name);
      if (!Files.exists(dst)) {
        Path tmp = dir.resolve(name + ".tmp-" + UUID.randomUUID());
        if (ref.folder()) {
          copyFolder(ref.uri(), tmp);
        } else {
          Files.createDirectories(tmp.getParent());
          copyFile(ref.uri(), tmp);
        }
        check(ref, tmp);
        try {
          Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException raced) {
          io.hatflow.core.run.AtomicFiles.deleteTree(tmp); // another thread of this JVM won
        }
        deleteOnExit(dst);
      }
      return dst;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + ref.uri() + ": " + e.getMessage(), e);
    }
  }

  private static void check(Ref ref, Path p) {
    String got = Digests.sha256Tree(p);
    if (!got.equals(ref.sha256())) {
      throw new DigestMismatchException(
          ref.uri()
              + ": content does not match its recorded digest (recorded "
              + ref.sha256().substring(0, 12)
              + ", found "
              + got.substring(0, 12)
              + "); it changed after it was "
              + "recorded: re-run the stage that wrote it (--force)");
    }
  }

  private static void copyFile(String uri, Path dst) throws IOException {
    ResourceId id = FileSystems.matchSingleFileSpec(uri).resourceId();
    try (InputStream in = Channels.newInputStream(FileSystems.open(id))) {
      Files.copy(in, dst);
    }
  }

  private static void copyFolder(String uri, Path dst) throws IOException {
    String base = uri.replaceAll("/+$", "");
    Files.createDirectories(dst);
    for (String rel : listFiles(base)) {
      Path f = dst.resolve(rel);
      Files.createDirectories(f.getParent());
      copyFile(base + "/" + rel, f);
    }
  }

  /**
   * The files under a folder, recursively, relative to it and sorted. Through Hadoop's client for
   * HDFS (Beam's recursive glob finds nothing there), else Beam's {@code **} glob.
   */
  public static List<String> listFiles(String folder) throws IOException {
    String base = folder.replaceAll("/+$", "");
    List<String> out = new java.util.ArrayList<>();
    if (base.startsWith("hdfs://") || base.startsWith("webhdfs://")) {
      org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(base);
      org.apache.hadoop.fs.FileSystem fs =
          root.getFileSystem(new org.apache.hadoop.conf.Configuration());
      if (!fs.exists(root)) {
        return out;
      }
      String prefix = fs.makeQualified(root).toUri().getPath();
      var it = fs.listFiles(root, true);
      while (it.hasNext()) {
        out.add(
            it.next()
                .getPath()
                .toUri()
                .getPath()
                .substring(prefix.length())
                .replaceFirst("^/+", ""));
      }
    } else {
      String strip = stripScheme(base);
      for (MatchResult.Metadata m :
          FileSystems.match(base + "/**", org.apache.beam.sdk.io.fs.EmptyMatchTreatment.ALLOW)
              .metadata()) {
        String full = m.resourceId().toString();
        String rel = full.substring(full.indexOf(strip) + strip.length()).replaceFirst("^/+", "");
        if (!rel.isEmpty() && !m.resourceId().isDirectory()) {
          out.add(rel);
        }
      }
    }
    java.util.Collections.sort(out);
    return out;
  }

  private static String stripScheme(String uri) {
    int i = uri.indexOf("://");
    if (i < 0) {
      return uri;
    }
    String rest = uri.substring(i + 3);
    int slash = rest.indexOf('/');
    return slash < 0 ? "" : rest.substring(slash);
  }

  /** The local path of a {@code file:} URI or a plain path; null for other schemes. */
  static Path localPath(String uri) {
    if (uri.startsWith("file://")) {
      return Path.of(uri.substring("file://".length()));
    }
    return uri.contains("://") ? null : Path.of(uri);
  }

  /**
   * One folder per JVM, not per class loader: a Flink session cluster gives every job (every search
   * generation) a new class loader, and the copies made for the last job serve the next. Removal at
   * exit goes through the JDK's delete-on-exit list (paths only): a shutdown hook of ours would
   * hold this class loader, and with it every class of a finished job, until the TaskManager's
   * metaspace runs out (seen after ten generations).
   */
  private static synchronized Path root() throws IOException {
    if (root == null) {
      root =
          Files.createDirectories(
              Path.of(
                  System.getProperty("java.io.tmpdir"),
                  "hatflow-artifacts-" + ProcessHandle.current().pid()));
      root.toFile().deleteOnExit();
    }
    return root;
  }

  /**
   * Deleted at JVM exit, contents before their folder (the JDK deletes in reverse order of
   * registration).
   */
  private static void deleteOnExit(Path p) throws IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(p)) {
      s.forEach(x -> x.toFile().deleteOnExit());
    }
  }
}
