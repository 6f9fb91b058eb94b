package io.hatflow.pipelines.stages;

import java.util.List;

/**
 * One step of a HAT run, in TFX's split: what it consumes (a spec section and upstream stages' outputs) is
 * declared here, separately from how it runs. Its fingerprint is the digest of both plus the code digest;
 * a finished stage with the same fingerprint is not run again.
 */
public interface Stage {
  /** The stage's name: also its folder in the run directory and its key in the manifest. */
  String name();

  /** The stages whose outputs this one reads (none: it starts from the spec's inputs). */
  default List<String> upstream() {
    return List.of();
  }

  /** The spec settings this stage depends on, as a stable string (part of the fingerprint). */
  String specSection(StageContext ctx);

  /** Runs the stage, writing its outputs under {@code ctx.out()} and recording them in {@code ctx.record()}. */
  void run(StageContext ctx) throws Exception;

  /**
   * Whether an unfinished run of this stage left work that a resumed run continues from (train's checkpoint, the
   * search's finished generations), so the runner says it resumes only when it does. Stages that always start
   * over say no.
   */
  default boolean hasWorkToResume(StageContext ctx) {
    return false;
  }
}
