package io.hatflow.core.run;

import java.nio.file.Path;

/**
 * Where a run directory lives when it is not on this machine's disk: a distributed filesystem
 * (HDFS, GCS, any scheme Beam's FileSystems knows). The home is the run's single source of truth;
 * {@link RunDir} works in a local working copy and commits to the home file by file (temporary
 * name, then commit), the manifest last, so another machine that opens the same home sees only
 * complete artifacts and can resume, audit or report the run.
 */
public interface RunHome {
  /**
   * The run directory's URI, e.g. {@code hdfs://namenode:8020/runs/demo}, without a trailing slash.
   */
  String uri();

  /** The URI of a path relative to the run directory ({@code "train/checkpoint.hfc"}). */
  default String resolve(String rel) {
    return rel.isEmpty() ? uri() : uri() + "/" + rel;
  }

  /**
   * Takes the run's lock: an exclusive create of {@code .lock} holding {@code holder}.
   *
   * @throws RunDir.LockedException naming the holder when another run holds it
   */
  void lock(String holder);

  /** Releases the lock taken by {@link #lock}. */
  void unlock();

  /**
   * Makes {@code rel} (a file or folder; "" for the whole run) of the working copy equal to the
   * home's: downloads what is missing or changed, deletes local files the home does not have.
   * Hidden files ({@code .lock}, {@code .sync}) are neither copied nor deleted.
   */
  void pull(Path work, String rel);

  /**
   * Commits {@code rel} (a file or folder) of the working copy to the home: each changed file is
   * written under a temporary name and renamed (or written whole with a precondition, where objects
   * are immutable), and home files under {@code rel} that the working copy no longer has are
   * deleted.
   */
  void push(Path work, String rel);
}
