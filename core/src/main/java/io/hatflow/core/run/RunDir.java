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

/**
 * A run directory ({@code runs/<run-id>/}): the spec as run, the manifest and one folder per stage. Opening
 * it takes an exclusive lock for the life of the process, so two runs never write the same directory; the
 * OS releases the lock when the holder dies, so a killed run never blocks the next one.
 */
public final class RunDir implements AutoCloseable {
  public static final String SPEC_FILE = "spec.yaml";
  public static final String LOCK_FILE = ".lock";

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Manifest manifest;

  private RunDir(Path dir, FileChannel ch, FileLock lock) {
    this.dir = dir;
    this.lockChannel = ch;
    this.lock = lock;
    this.manifest = Manifest.load(dir);
  }

  /** Thrown when another live process holds the run directory. */
  public static final class LockedException extends IllegalStateException {
    public LockedException(String msg) {
      super(msg);
    }
  }

  /**
   * Opens (creating) a run directory for {@code spec}. A directory that holds a run of a different spec is
   * refused unless {@code force}, so one run's artifacts are never mixed with another's.
   */
  public static RunDir open(Path dir, FrozenSpec spec, boolean force) {
    RunDir rd = lock(dir);
    try {
      String prev = rd.manifest.effectiveSpecDigest();
      if (prev != null && !prev.equals(spec.effectiveSha256()) && !force) {
        boolean finished = rd.manifest.root().path("finished").asBoolean(false);
        throw new IllegalArgumentException(dir + ": already holds " + (finished ? "a finished" : "an unfinished")
            + " run of a different spec (recorded spec digest " + prev.substring(0, 12) + ", this spec "
            + spec.effectiveSha256().substring(0, 12) + "); use another --run-dir, or --force (hatflow run: --force all) to replace it");
      }
      Path specFile = dir.resolve(SPEC_FILE);
      if (!Files.exists(specFile) || !Arrays.equals(Files.readAllBytes(specFile), spec.bytes())) {
        AtomicFiles.write(specFile, spec.bytes());
      }
      if (prev != null && !prev.equals(spec.effectiveSha256())) {
        rd.manifest.stages().removeAll();
        rd.manifest.root().remove("finished");
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

  /** Takes the lock on an existing or new directory without checking the spec (audit, report, publish). */
  public static RunDir lock(Path dir) {
    try {
      Files.createDirectories(dir);
      Path lf = dir.resolve(LOCK_FILE);
      FileChannel ch = FileChannel.open(lf, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null;
      }
      if (l == null) {
        String holder = new String(Files.readAllBytes(lf), StandardCharsets.UTF_8).trim();
        ch.close();
        throw new LockedException(dir + ": in use by another run (" + (holder.isEmpty() ? "holder unknown" : holder)
            + "); wait for it to finish or use another --run-dir");
      }
      String me = "pid " + Host.pid() + " on host " + Host.name() + " since " + Instant.now();
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8)), 0);
      ch.force(true);
      return new RunDir(dir, ch, l);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + dir, e);
    }
  }

  public Path dir() {
    return dir;
  }

  public Manifest manifest() {
    return manifest;
  }

  public Path stageDir(String stage) {
    return dir.resolve(stage);
  }

  @Override
  public void close() {
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
