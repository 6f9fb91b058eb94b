package io.hatflow.pipelines.cli;

import io.hatflow.core.run.RunDir;
import io.hatflow.core.run.UserInputException;
import io.hatflow.pipelines.rundir.RunLocation;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * How commands reach a run directory given as a local path or a URI ({@code hdfs://}, {@code
 * gs://}).
 */
final class RunDirs {
  private RunDirs() {}

  /** Work on an existing run directory: the path itself, or a working copy of a remote one. */
  interface Work<T> {
    /**
     * {@code dir}: the local directory to work in; {@code uri}: the run directory as Beam workers
     * reach it.
     */
    T apply(Path dir, String uri) throws Exception;
  }

  /**
   * Runs {@code work} on an existing run directory. A remote one is locked and its working copy
   * brought up to date first; {@code commit} (a relative path, or null) is written back to it
   * afterwards.
   */
  static <T> T existing(String value, PipelineOptions options, String commit, Work<T> work)
      throws Exception {
    return at(value, options, true, commit, work);
  }

  /** As {@link #existing}, for a run directory that may be new. */
  static <T> T any(String value, PipelineOptions options, String commit, Work<T> work)
      throws Exception {
    return at(value, options, false, commit, work);
  }

  private static <T> T at(
      String value, PipelineOptions options, boolean mustExist, String commit, Work<T> work)
      throws Exception {
    RunLocation loc =
        RunLocation.of(value, options == null ? PipelineOptionsFactory.create() : options);
    if (!loc.remote()) {
      if (mustExist && !Files.isDirectory(loc.work())) {
        throw new UserInputException("run directory " + value + " does not exist");
      }
      return work.apply(loc.work(), loc.work().toString());
    }
    try (RunDir rd = RunDir.lock(loc.work(), loc.home())) {
      if (mustExist && !Files.exists(rd.dir().resolve(io.hatflow.core.run.Manifest.FILE))) {
        throw new UserInputException("run directory " + value + " holds no run (no manifest.json)");
      }
      T r = work.apply(rd.dir(), rd.location());
      if (commit != null) {
        rd.commit(commit);
      }
      return r;
    }
  }
}
