package io.hatflow.pipelines.stages;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.run.RunDir;
import io.hatflow.core.spec.FrozenSpec;
import io.hatflow.core.spec.Spec;
import java.io.PrintStream;
import java.nio.file.Path;
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

  /** Another stage's output folder (an upstream's, possibly redirected to another run). */
  public Path stageDir(String stage) {
    return runDir.stageDir(stage);
  }
}
