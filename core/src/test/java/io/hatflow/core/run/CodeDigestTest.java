package io.hatflow.core.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The code digest: same classes, same digest (wherever and whenever built); any changed class,
 * another one.
 */
class CodeDigestTest {
  @TempDir Path tmp;

  private static final Map<String, byte[]> CLASSES =
      new TreeMap<>(
          Map.of(
              "io/hatflow/core/A.class", new byte[] {(byte) 0xCA, (byte) 0xFE, 1, 2},
              "io/hatflow/model/B.class", new byte[] {(byte) 0xCA, (byte) 0xFE, 3},
              "io/hatflow/pipelines/report/style.css", "body{}".getBytes()));

  private Path classesDir(String name, Map<String, byte[]> entries, long mtime) throws Exception {
    Path root = tmp.resolve(name);
    for (Map.Entry<String, byte[]> e : entries.entrySet()) {
      Path f = root.resolve(e.getKey());
      Files.createDirectories(f.getParent());
      Files.write(f, e.getValue());
      Files.setLastModifiedTime(f, FileTime.fromMillis(mtime));
    }
    return root;
  }

  private Path jar(String name, Map<String, byte[]> entries, long mtime, boolean reversed)
      throws Exception {
    Path jar = tmp.resolve(name);
    List<String> names = new java.util.ArrayList<>(entries.keySet());
    if (reversed) {
      java.util.Collections.reverse(names);
    }
    try (OutputStream os = Files.newOutputStream(jar);
        ZipOutputStream z = new ZipOutputStream(os)) {
      z.putNextEntry(new ZipEntry("io/hatflow/"));
      z.closeEntry();
      for (String n : names) {
        ZipEntry e = new ZipEntry(n);
        e.setTime(mtime);
        z.putNextEntry(e);
        z.write(entries.get(n));
        z.closeEntry();
      }
      // Not hatflow's: a dependency shaded into the same jar does not count.
      ZipEntry other = new ZipEntry("org/example/Dep.class");
      other.setTime(mtime);
      z.putNextEntry(other);
      z.write(new byte[] {(byte) mtime});
      z.closeEntry();
    }
    return jar;
  }

  @Test
  void sameClassesDigestTheSameInDirectoriesAndJarsWhateverTheirTimestampsAndOrder()
      throws Exception {
    String dir1 = CodeDigest.of(List.of(classesDir("build1", CLASSES, 1_000_000L)));
    String dir2 = CodeDigest.of(List.of(classesDir("build2", CLASSES, 2_000_000_000L)));
    String jar1 = CodeDigest.of(List.of(jar("a.jar", CLASSES, 1_000_000L, false)));
    String jar2 = CodeDigest.of(List.of(jar("b.jar", CLASSES, 2_000_000_000L, true)));
    assertEquals(64, dir1.length());
    assertEquals(dir1, dir2, "rebuilt at another time");
    assertEquals(dir1, jar1, "the shaded jar and the classes directories hold the same code");
    assertEquals(jar1, jar2, "entry order and timestamps do not count");
  }

  @Test
  void aChangedAddedOrRemovedClassChangesTheDigest() throws Exception {
    String base = CodeDigest.of(List.of(classesDir("base", CLASSES, 0)));

    Map<String, byte[]> changed = new TreeMap<>(CLASSES);
    changed.put("io/hatflow/model/B.class", new byte[] {(byte) 0xCA, (byte) 0xFE, 4});
    assertNotEquals(base, CodeDigest.of(List.of(classesDir("changed", changed, 0))));

    Map<String, byte[]> added = new TreeMap<>(CLASSES);
    added.put("io/hatflow/core/C.class", new byte[] {1});
    assertNotEquals(base, CodeDigest.of(List.of(classesDir("added", added, 0))));

    Map<String, byte[]> removed = new TreeMap<>(CLASSES);
    removed.remove("io/hatflow/pipelines/report/style.css");
    assertNotEquals(
        base, CodeDigest.of(List.of(classesDir("removed", removed, 0))), "bundled resources count");

    Map<String, byte[]> renamed = new TreeMap<>(CLASSES);
    renamed.put("io/hatflow/core/A2.class", renamed.remove("io/hatflow/core/A.class"));
    assertNotEquals(base, CodeDigest.of(List.of(classesDir("renamed", renamed, 0))));

    Map<String, byte[]> foreign = new TreeMap<>(CLASSES);
    foreign.put("org/example/Other.class", new byte[] {9});
    assertEquals(
        base,
        CodeDigest.of(List.of(classesDir("foreign", foreign, 0))),
        "only io/hatflow/** counts");
  }

  @Test
  void modulesSplitOverSeveralLocationsDigestLikeOneJar() throws Exception {
    Map<String, byte[]> core = new TreeMap<>();
    Map<String, byte[]> rest = new TreeMap<>();
    CLASSES.forEach((k, v) -> (k.startsWith("io/hatflow/core/") ? core : rest).put(k, v));
    String split = CodeDigest.of(List.of(classesDir("core", core, 0), classesDir("rest", rest, 0)));
    assertEquals(CodeDigest.of(List.of(jar("all.jar", CLASSES, 0, false))), split);
  }

  @Test
  void theRunningCodeHasAStableDigestAndNoClassesIsAnError() {
    String d = CodeDigest.current();
    assertEquals(64, d.length());
    assertEquals(d, CodeDigest.current());
    assertEquals(d, CodeDigest.of(CodeDigest.locations()), "computed the same way twice");
    assertTrue(CodeDigest.locations().stream().anyMatch(Files::exists));
    assertThrows(
        IllegalStateException.class, () -> CodeDigest.of(List.of(tmp.resolve("nothing-here"))));
  }

  @Test
  void aScopedDigestCoversOnlyItsPackagesAndClasses() throws Exception {
    CodeScope train = new CodeScope(List.of("io.hatflow.core"), List.of("io.hatflow.model.B"));
    Map<String, byte[]> css = new TreeMap<>(CLASSES);
    css.put("io/hatflow/pipelines/report/style.css", "body{color:red}".getBytes());
    assertEquals(
        CodeDigest.of(CLASSES, train),
        CodeDigest.of(css, train),
        "the report is outside train's scope");
    assertNotEquals(CodeDigest.of(CLASSES, CodeScope.ALL), CodeDigest.of(css, CodeScope.ALL));
    Map<String, byte[]> nested = new TreeMap<>(CLASSES);
    nested.put("io/hatflow/model/B$Inner.class", new byte[] {1});
    assertNotEquals(
        CodeDigest.of(CLASSES, train),
        CodeDigest.of(nested, train),
        "a class's nested classes count");
    Map<String, byte[]> sibling = new TreeMap<>(CLASSES);
    sibling.put("io/hatflow/model/BB.class", new byte[] {1});
    assertEquals(
        CodeDigest.of(CLASSES, train),
        CodeDigest.of(sibling, train),
        "a class is not a name prefix");
    // The same function over bytes and over a jar; ALL is the whole-code digest.
    Path jar = jar("scoped.jar", CLASSES, 0, false);
    assertEquals(CodeDigest.of(CLASSES, train), CodeDigest.of(List.of(jar), train));
    assertEquals(CodeDigest.of(List.of(jar)), CodeDigest.of(CLASSES, CodeScope.ALL));
    assertThrows(
        IllegalStateException.class,
        () -> CodeDigest.of(CLASSES, new CodeScope(List.of("io.hatflow.nothing"), List.of())));
  }
}
