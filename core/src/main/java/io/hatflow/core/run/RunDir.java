package io.hatflow.core.run;

import io.hatflow.core.spec.FrozenSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * A run directory ({@code runs/<run-id>/}): the spec as run, the manifest and one folder per stage.
 * Opening it takes an exclusive lock for the life of the process, so two runs never write the same
 * directory; the OS releases the lock when the holder dies, so a killed run never blocks the next
 * one.
 */
public final class RunDir implements AutoCloseable {
  public static final String SPEC_FILE = "spec.yaml";
  public static final String LOCK_FILE = ".lock";

  private final Path dir;
  private final RunHome home;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Manifest manifest;

  private RunDir(Path dir, RunHome home, FileChannel ch, FileLock lock) {
    this.dir = dir;
    this.home = home;
    this.lockChannel = ch;
    this.lock = lock;
    this.manifest = Manifest.load(dir);
    if (home != null) {
      // The manifest is the commit point: every save goes home, after the artifacts it names.
      manifest.afterSave(() -> home.push(dir, Manifest.FILE));
    }
  }

  /** Thrown when another live process holds the run directory. */
  public static final class LockedException extends IllegalStateException
      implements ExpectedFailure {
    public LockedException(String msg) {
      super(msg);
    }
  }

  /**
   * Opens (creating) a run directory for {@code spec}. A directory that holds a run of a different
   * spec is refused unless {@code force}, so one run's artifacts are never mixed with another's.
   */
  public static RunDir open(Path dir, FrozenSpec spec, boolean force) {
    return open(dir, null, spec, force);
  }

  /**
   * As {@link #open(Path, FrozenSpec, boolean)} for a run whose home is on a distributed filesystem
   * ({@code home} not null): {@code dir} is then this machine's working copy of it, brought up to
   * date first.
   */
  public static RunDir open(Path dir, RunHome home, FrozenSpec spec, boolean force) {
    RunDir rd = lock(dir, home);
    try {
      List<String> orphans = withoutManifest(dir);
      if (!orphans.isEmpty() && !force) {
        // A lost manifest must not make a run start over and delete finished work (a trained
        // checkpoint).
        throw new UserInputException(
            (home != null ? home.uri() : dir.toString())
                + ": holds "
                + String.join(", ", orphans)
                + " but no "
                + Manifest.FILE
                + " (lost, or not a hatflow run directory);"
                + " nothing was changed. Use another --run-dir, or --force (hatflow run: --force all) to start a new"
                + " run there, replacing what it holds");
      }
      String prev = rd.manifest.effectiveSpecDigest();
      if (prev != null && !prev.equals(spec.effectiveSha256()) && !force) {
        boolean finished = rd.manifest.value().runFinished();
        throw new UserInputException(
            dir
                + ": already holds "
                + (finished ? "a finished" : "an unfinished")
                + " run of a different spec (recorded spec digest "
                + prev.substring(0, 12)
                + ", this spec "
                + spec.effectiveSha256().substring(0, 12)
                + "); use another --run-dir, or --force (hatflow run: --force all) to replace it");
      }
      Path specFile = dir.resolve(SPEC_FILE);
      if (!Files.exists(specFile) || !Arrays.equals(Files.readAllBytes(specFile), spec.bytes())) {
        AtomicFiles.write(specFile, spec.bytes());
        rd.commit(SPEC_FILE);
      }
      if (prev != null && !prev.equals(spec.effectiveSha256())) {
        // Stage records stay: their fingerprints hold the spec sections they ran with, so a stage
        // whose
        // section did not change is still cached and every other one runs again.
        rd.manifest.finished(false);
      }
      return rd;
    } catch (IOException e) {
      rd.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      rd.close();
      throw e;
    }
  }

  /** What {@code dir} holds besides bookkeeping when it has no manifest; empty when it has one. */
  private static List<String> withoutManifest(Path dir) throws IOException {
    if (Files.exists(dir.resolve(Manifest.FILE))) {
      return List.of();
    }
    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString() + (Files.isDirectory(p) ? "/" : ""))
          .filter(n -> !n.startsWith(".") && !n.equals(SPEC_FILE))
          .sorted()
          .toList(); // .lock, .sync, temp files
    }
  }

  /**
   * Takes the lock on an existing or new directory without checking the spec (audit, report,
   * publish).
   */
  public static RunDir lock(Path dir) {
    return lock(dir, null);
  }

  /**
   * Takes the lock of a run whose home is {@code home} (null: {@code dir} itself) and brings the
   * working copy {@code dir} up to date with the home.
   */
  public static RunDir lock(Path dir, RunHome home) {
    RunDir local = lockLocal(dir, home);
    if (home == null) {
      return local;
    }
    try {
      home.lock(holder());
    } catch (RuntimeException e) {
      local.closeLocal();
      throw e;
    }
    try {
      home.pull(dir, "");
      return new RunDir(dir, home, local.lockChannel, local.lock);
    } catch (RuntimeException e) {
      local.close();
      home.unlock();
      throw e;
    }
  }

  private static String holder() {
    return "pid " + Host.pid() + " on host " + Host.name() + " since " + Instant.now();
  }

  private static RunDir lockLocal(Path dir, RunHome home) {
    try {
      Files.createDirectories(dir);
      Path lf = dir.resolve(LOCK_FILE);
      FileChannel ch =
          FileChannel.open(
              lf, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null;
      }
      if (l == null) {
        String holder = new String(Files.readAllBytes(lf), StandardCharsets.UTF_8).trim();
        ch.close();
        throw new LockedException(
            dir
                + ": in use by another run ("
                + (holder.isEmpty() ? "holder unknown" : holder)
                + "); wait for it to finish or use another --run-dir");
      }
      String me = holder();
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8)), 0);
      ch.force(true);
      // A remote run's manifest is read after the pull, not from a stale working copy.
      return home == null ? new RunDir(dir, null, ch, l) : new RunDir(dir, ch, l);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + dir, e);
    }
  }

  /** Only the local lock; the manifest is loaded later. */
  private RunDir(Path dir, FileChannel ch, FileLock lock) {
    this.dir = dir;
    this.home = null;
    this.lockChannel = ch;
    this.lock = lock;
    this.manifest = null;
  }

  /**
   * The local directory stages read and write: the run directory itself, or the working copy of a
   * remote one.
   */
  public Path dir() {
    return dir;
  }

  /** The remote home, or null when the run directory is local. */
  public RunHome home() {
    return home;
  }

  /** Where the run directory is, as users name it: its URI, or its local path. */
  public String location() {
    return home != null ? home.uri() : dir.toString();
  }

  /**
   * The URI of {@code rel} in the run directory as a Beam job's workers must open it: in the home
   * when there is one (workers share no disk with this machine), else the local path.
   */
  public String uri(String rel) {
    return home != null ? home.resolve(rel) : dir.resolve(rel).toString();
  }

  /**
   * Commits {@code rel} (file or folder) of the working copy to the home; nothing for a local run
   * directory.
   */
  public void commit(String rel) {
    if (home != null) {
      home.push(dir, rel);
    }
  }

  /**
   * Brings {@code rel} of the working copy up to date with the home (after workers wrote it there).
   */
  public void refresh(String rel) {
    if (home != null) {
      home.pull(dir, rel);
    }
  }

  public Manifest manifest() {
    return manifest;
  }

  public Path stageDir(String stage) {
    return dir.resolve(stage);
  }

  @Override
  public void close() {
    closeLocal();
    if (home != null) {
      home.unlock();
    }
  }

  private void closeLocal() {
    try {
      if (lock.isValid()) {
        lockChannel.truncate(0);
        lock.release();
      }
      lockChannel.close();
    } catch (IOException e) {
      // Closing the channel releases the lock anyway.
    }
  }
}
