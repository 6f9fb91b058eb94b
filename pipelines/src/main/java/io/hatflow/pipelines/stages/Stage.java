package io.hatflow.pipelines.stages;

import io.hatflow.core.run.CodeScope;
import java.util.List;

/**
 * One step of a HAT run, in TFX's split: what it consumes (a spec section and upstream stages'
 * outputs) is declared here, separately from how it runs. Its fingerprint is the digest of both
 * plus the digest of the code in its {@link #codeScope()}; a finished stage with the same
 * fingerprint is not run again.
 */
public interface Stage {
  /**
   * Code every stage reaches: the run directory and manifest, the spec, the search-space and text
   * basics, the Avro schemas, and the file helpers (through the run directory's homes, which the
   * runner may hand in).
   */
  CodeScope COMMON =
      new CodeScope(
          List.of(
              "io.hatflow.core.run",
              "io.hatflow.core.search",
              "io.hatflow.core.space",
              "io.hatflow.core.spec",
              "io.hatflow.core.text",
              "io.hatflow.model.predictor",
              "io.hatflow.model.text",
              "io.hatflow.pipelines.io",
              "io.hatflow.pipelines.publish",
              "io.hatflow.pipelines.rundir",
              "io.hatflow.schemas",
              "io.hatflow.transforms.io",
              "io.hatflow.transforms.search"),
          List.of(
              "io.hatflow.pipelines.stages.Stage",
              "io.hatflow.pipelines.stages.StageContext",
              "io.hatflow.pipelines.stages.Contents",
              "io.hatflow.pipelines.stages.StageRecorder"));

  /** The stage's name: also its folder in the run directory and its key in the manifest. */
  String name();

  /** The stages whose outputs this one reads (none: it starts from the spec's inputs). */
  default List<String> upstream() {
    return List.of();
  }

  /** The spec settings this stage depends on, as a stable string (part of the fingerprint). */
  String specSection(StageContext ctx);

  /**
   * The hatflow code this stage's results depend on: its fingerprint digests only these classes, so
   * a change elsewhere (the report's CSS) leaves it cached. {@code CodeScopeTest} proves that every
   * class reachable from the stage class lies in it; {@link CodeScope#ALL} (the whole code) where a
   * stage reaches everything anyway.
   */
  default CodeScope codeScope() {
    return CodeScope.ALL;
  }

  /**
   * Runs the stage, writing the files of its {@code Outputs} record and recording them in {@code
   * ctx.record()}.
   */
  void run(StageContext ctx) throws Exception;

  /**
   * Whether an unfinished run of this stage left work that a resumed run continues from (train's
   * checkpoint, the search's finished generations), so the runner says it resumes only when it
   * does. Stages that always start over say no.
   */
  default boolean hasWorkToResume(StageContext ctx) {
    return false;
  }
}
