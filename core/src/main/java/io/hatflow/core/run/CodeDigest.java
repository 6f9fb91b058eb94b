package io.hatflow.core.run;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The digest of the running hatflow code: SHA-256 over the sorted {@code (entry name, content
 * SHA-256)} list of every {@code io/hatflow/**} entry (classes and bundled resources) in the
 * class-path locations that hold hatflow's modules, a jar or a classes directory. Contents only:
 * timestamps, jar order and paths do not count, so a rebuild of the same sources, or a commit that
 * touches only docs, digests the same, while any change to compiled code does not. Stage
 * fingerprints use it instead of {@code git describe}, each over its stage's {@link CodeScope}
 * ({@link #current(CodeScope)}): the same lines, only those in scope; {@link CodeScope#ALL} gives
 * the whole-code digest, so a stage without a narrower scope keeps the fingerprint it had before
 * scopes.
 */
public final class CodeDigest {
  private CodeDigest() {}

  static final String PREFIX = "io/hatflow/";

  /**
   * One class of each hatflow module; those not on the class path (core alone in its tests) are
   * skipped.
   */
  static final List<String> ANCHORS =
      List.of(
          "io.hatflow.core.run.CodeDigest",
          "io.hatflow.schemas.SentencePair",
          "io.hatflow.model.train.Trainer",
          "io.hatflow.transforms.search.SmallAvroFiles",
          "io.hatflow.pipelines.cli.Hatflow");

  private static volatile List<String> lines;
  private static final java.util.Map<CodeScope, String> SCOPED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** The running code's digest (computed once per JVM: one pass over a few hundred entries). */
  public static String current() {
    return current(CodeScope.ALL);
  }

  /** The digest of the running code in {@code scope} (the entries are read once per JVM). */
  public static String current(CodeScope scope) {
    return SCOPED.computeIfAbsent(scope, s -> digest(runningLines(), s, locations()));
  }

  private static List<String> runningLines() {
    List<String> l = lines;
    if (l == null) {
      synchronized (CodeDigest.class) {
        if (lines == null) {
          lines = lines(locations());
        }
        l = lines;
      }
    }
    return l;
  }

  /**
   * The names of the running code's {@code io/hatflow/**} entries (the scope test walks their
   * classes).
   */
  public static java.util.SortedSet<String> runningEntries() {
    java.util.SortedSet<String> out = new java.util.TreeSet<>();
    for (String line : runningLines()) {
      out.add(line.substring(0, line.indexOf('\t')));
    }
    return out;
  }

  /** The jars or class directories that hold the hatflow modules' classes, in a stable order. */
  static List<Path> locations() {
    Set<Path> out = new LinkedHashSet<>();
    for (String name : ANCHORS) {
      Class<?> c;
      try {
        c = Class.forName(name, false, CodeDigest.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        continue;
      }
      CodeSource cs = c.getProtectionDomain().getCodeSource();
      if (cs == null || cs.getLocation() == null) {
        continue;
      }
      try {
        out.add(Path.of(cs.getLocation().toURI()).toAbsolutePath().normalize());
      } catch (URISyntaxException | IllegalArgumentException e) {
        // Not a file location (e.g. a custom class loader): nothing to read there.
      }
    }
    return new ArrayList<>(out);
  }

  /**
   * The digest of the {@code io/hatflow/**} entries of these locations (directories or jars). An
   * entry name found in two locations counts twice (a stale copy on the class path is different
   * code).
   */
  public static String of(List<Path> locations) {
    return digest(lines(locations), CodeScope.ALL, locations);
  }

  /** The digest of the in-scope {@code io/hatflow/**} entries of these locations. */
  public static String of(List<Path> locations, CodeScope scope) {
    return digest(lines(locations), scope, locations);
  }

  /**
   * The digest of the in-scope entries of a set of class files and resources (entry name to bytes):
   * the same value as {@link #of(List, CodeScope)} over a jar of exactly these entries.
   */
  public static String of(java.util.Map<String, byte[]> entries, CodeScope scope) {
    List<String> l = new ArrayList<>();
    entries.forEach(
        (name, bytes) -> {
          if (name.startsWith(PREFIX)) {
            l.add(name + '\t' + Digests.sha256(bytes));
          }
        });
    return digest(l, scope, entries.keySet());
  }

  private static List<String> lines(List<Path> locations) {
    List<String> out = new ArrayList<>();
    for (Path loc : locations) {
      if (Files.isDirectory(loc)) {
        fromDirectory(loc, out);
      } else if (Files.isRegularFile(loc)) {
        fromJar(loc, out);
      }
    }
    return out;
  }

  private static String digest(List<String> all, CodeScope scope, Object where) {
    List<String> in = new ArrayList<>();
    for (String line : all) {
      if (scope.contains(line.substring(0, line.indexOf('\t')))) {
        in.add(line);
      }
    }
    if (in.isEmpty()) {
      throw new IllegalStateException(
          "no "
              + PREFIX
              + "** classes"
              + (scope.equals(CodeScope.ALL) ? "" : " in " + scope)
              + " found in "
              + where);
    }
    in.sort(null);
    return Digests.sha256(String.join("\n", in));
  }

  private static void fromDirectory(Path root, List<String> lines) {
    Path base = root.resolve(PREFIX);
    if (!Files.isDirectory(base)) {
      return;
    }
    try (Stream<Path> s = Files.walk(base)) {
      for (Path f : s.filter(Files::isRegularFile).toList()) {
        lines.add(root.relativize(f).toString().replace('\\', '/') + '\t' + Digests.sha256(f));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + base, e);
    }
  }

  private static void fromJar(Path jar, List<String> lines) {
    try (ZipFile z = new ZipFile(jar.toFile())) {
      byte[] buf = new byte[1 << 16];
      for (Enumeration<? extends ZipEntry> en = z.entries(); en.hasMoreElements(); ) {
        ZipEntry e = en.nextElement();
        if (e.isDirectory() || !e.getName().startsWith(PREFIX)) {
          continue;
        }
        var md = Digests.sha256();
        try (InputStream in = z.getInputStream(e)) {
          for (int r; (r = in.read(buf)) > 0; ) {
            md.update(buf, 0, r);
          }
        }
        lines.add(e.getName() + '\t' + HexFormat.of().formatHex(md.digest()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + jar, e);
    }
  }
}
