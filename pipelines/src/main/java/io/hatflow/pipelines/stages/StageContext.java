package io.hatflow.pipelines.stages;

import com.fasterxml.jackson.databind.node.ObjectNode;
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

/** What a running stage sees: the frozen spec, its run directory, Beam's options and its manifest entry. */
public record StageContext(
    FrozenSpec frozen, RunDir runDir, PipelineOptions options, ObjectNode record, PrintStream log, boolean resume) {

  public Spec spec() {
    return frozen.spec();
  }

  /** This stage's output folder. */
  public Path out(String stage) {
    return runDir.stageDir(stage);
  }

  /**
   * Removes what {@code dir} holds for targets the spec no longer names ({@code NAME}, {@code NAME.csv},
   * {@code NAME.avro}; hidden work files are left alone), so a re-run of a per-target stage never shows a
   * dropped target to the report or the next stage.
   */
  public void pruneOtherTargets(Path dir) throws IOException {
    Set<String> names = spec().targets().stream().map(Spec.TargetSpec::name).collect(Collectors.toSet());
    keepOnly(dir, f -> f.startsWith(".") || names.contains(f.replaceFirst("\\.(csv|avro)$", "")));
  }

  /** Deletes every entry of {@code dir} whose file name {@code keep} rejects (nothing when there is no dir). */
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

  /** Another stage's output folder (an upstream's, possibly redirected to another run). */
  public Path stageDir(String stage) {
    return runDir.stageDir(stage);
  }
}
