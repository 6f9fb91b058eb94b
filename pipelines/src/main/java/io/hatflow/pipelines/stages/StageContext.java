package io.hatflow.pipelines.stages;

import io.hatflow.core.run.AtomicFiles;
import io.hatflow.core.run.RunDir;
import io.hatflow.core.spec.FrozenSpec;
import io.hatflow.core.spec.Spec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * What a running stage sees: the frozen spec, its run directory, Beam's options and its manifest
 * recorder.
 */
public record StageContext(
    FrozenSpec frozen,
    RunDir runDir,
    PipelineOptions options,
    StageRecorder record,
    PrintStream log,
    boolean resume) {

  public Spec spec() {
    return frozen.spec();
  }

  /**
   * The URI of a local path of the run directory as Beam workers must open it (in the home when
   * remote).
   */
  public String uri(Path local) {
    return runDir.uri(
        runDir
            .dir()
            .toAbsolutePath()
            .relativize(local.toAbsolutePath())
            .toString()
            .replace('\\', '/'));
  }

  /**
   * Removes what {@code dir} holds for targets the spec no longer names ({@code NAME}, {@code
   * NAME.csv}, {@code NAME.avro}; hidden work files are left alone), so a re-run of a per-target
   * stage never shows a dropped target to the report or the next stage.
   */
  public void pruneOtherTargets(Path dir) throws IOException {
    Set<String> names =
        spec().targets().stream().map(Spec.TargetSpec::name).collect(Collectors.toSet());
    keepOnly(dir, f -> f.startsWith(".") || names.contains(f.replaceFirst("\\.(csv|avro)$", "")));
  }

  /**
   * Deletes every entry of {@code dir} whose file name {@code keep} rejects (nothing when there is
   * no dir).
   */
  static void keepOnly(Path dir, Predicate<String> keep) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path e : entries.toList()) {
        if (!keep.test(e.getFileName().toString())) {
          AtomicFiles.deleteTree(e);
        }
      }
    }
  }
}
