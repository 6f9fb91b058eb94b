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
 * The digest of the running hatflow code: SHA-256 over the sorted {@code (entry name, content SHA-256)} list of
 * every {@code io/hatflow/**} entry (classes and bundled resources) in the class-path locations that hold
 * hatflow's modules, a jar or a classes directory. Contents only: timestamps, jar order and paths do not count,
 * so a rebuild of the same sources, or a commit that touches only docs, digests the same, while any change to
 * compiled code does not. Stage fingerprints use it instead of {@code git describe}.
 */
public final class CodeDigest {
  private CodeDigest() {}

  static final String PREFIX = "io/hatflow/";

  /** One class of each hatflow module; those not on the class path (core alone in its tests) are skipped. */
  static final List<String> ANCHORS = List.of(
      "io.hatflow.core.run.CodeDigest",
      "io.hatflow.schemas.SentencePair",
      "io.hatflow.model.train.Trainer",
      "io.hatflow.transforms.search.SmallAvroFiles",
      "io.hatflow.pipelines.cli.Hatflow");

  private static volatile String current;

  /** The running code's digest (computed once per JVM: one pass over a few hundred entries). */
  public static String current() {
    String d = current;
    if (d == null) {
      synchronized (CodeDigest.class) {
        if (current == null) {
          current = of(locations());
        }
        d = current;
      }
    }
    return d;
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
   * The digest of the {@code io/hatflow/**} entries of these locations (directories or jars). An entry name
   * found in two locations counts twice (a stale copy on the class path is different code).
   */
  public static String of(List<Path> locations) {
    List<String> lines = new ArrayList<>();
    for (Path loc : locations) {
      if (Files.isDirectory(loc)) {
        fromDirectory(loc, lines);
      } else if (Files.isRegularFile(loc)) {
        fromJar(loc, lines);
      }
    }
    if (lines.isEmpty()) {
      throw new IllegalStateException("no " + PREFIX + "** classes found in " + locations);
    }
    lines.sort(null);
    return Digests.sha256(String.join("\n", lines));
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
