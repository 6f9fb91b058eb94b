package io.hatflow.core.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Writes that are never seen half-done: content goes to a temporary sibling and is renamed into
 * place, so a crash leaves either the old file or the new one, never a torn one.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  public static void write(Path target, byte[] bytes) {
    try {
      Path dir = target.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
      try {
        Files.write(tmp, bytes);
        move(tmp, target);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    }
  }

  public static void writeString(Path target, String text) {
    write(target, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A fresh temporary directory beside {@code target}, to fill and then {@link #commitDir} into
   * place.
   */
  public static Path tempDirFor(Path target) {
    try {
      Path dir = target.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      return Files.createTempDirectory(dir, "." + target.getFileName() + ".");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for " + target, e);
    }
  }

  /** Replaces {@code target} (if any) with the finished {@code tmp} directory. */
  public static void commitDir(Path tmp, Path target) {
    try {
      if (Files.exists(target)) {
        Path old = tempDirFor(target);
        Files.delete(old);
        move(target, old);
        move(tmp, target);
        deleteTree(old);
      } else {
        move(tmp, target);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move " + tmp + " to " + target, e);
    }
  }

  /**
   * Makes the finished {@code staging} folder's entries the contents of {@code target}, each entry
   * replaced atomically (files in the order listed, so name the one consumers wait for last), then
   * removes whatever else {@code target} held and {@code staging} itself. Until this runs, the
   * previous contents stay whole.
   */
  public static void promote(Path staging, Path target, String... lastFirst) {
    try {
      Files.createDirectories(target);
      List<Path> entries;
      try (Stream<Path> s = Files.list(staging)) {
        List<String> last = List.of(lastFirst);
        entries =
            s.sorted(
                    Comparator.comparing((Path p) -> last.contains(p.getFileName().toString()))
                        .thenComparing(Path::toString))
                .toList();
      }
      for (Path e : entries) {
        Path t = target.resolve(e.getFileName().toString());
        if (Files.isDirectory(e)) {
          commitDir(e, t);
        } else {
          move(e, t);
        }
      }
      java.util.Set<String> kept = new java.util.HashSet<>();
      entries.forEach(e -> kept.add(e.getFileName().toString()));
      try (Stream<Path> s = Files.list(target)) {
        for (Path old : s.toList()) {
          if (!kept.contains(old.getFileName().toString()) && !old.equals(staging)) {
            deleteTree(old);
          }
        }
      }
      deleteTree(staging);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot move " + staging + " into " + target, e);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  public static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }

  /**
   * Copies a folder tree (nothing when {@code from} is missing); not atomic: copy into a scratch
   * place.
   */
  public static void copyTree(Path from, Path to) {
    if (!Files.exists(from)) {
      return;
    }
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
    }
  }
}
