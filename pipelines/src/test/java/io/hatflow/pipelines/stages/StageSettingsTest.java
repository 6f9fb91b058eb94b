package io.hatflow.pipelines.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.search.Hypervolume;
import io.hatflow.core.search.SearchConfig;
import io.hatflow.core.search.SearchMode;
import io.hatflow.core.spec.Spec;
import io.hatflow.core.spec.SpecLoader;
import io.hatflow.model.train.TrainConfig;
import io.hatflow.model.transformer.Dropouts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each stage's settings record comes from the spec alone: a spec that sets nothing gets the spec
 * layer's documented defaults (README), and the builders produce what the positional constructors
 * did.
 */
class StageSettingsTest {
  private static final String SPEC =
      String.join(
          "\n",
          "version: 1",
          "name: t",
          "data: {train: {src: a.en, tgt: a.de}}",
          "train: {threads: 2}",
          "");

  private static Spec spec() {
    return SpecLoader.parse(
            "spec.yaml", SPEC.getBytes(StandardCharsets.UTF_8), Path.of("/base"), List.of())
        .spec();
  }

  @Test
  void trainSettingsAreTheSpecsDefaults() {
    TrainConfig t = TrainStage.config(spec());
    // What the deleted TrainConfig.defaults() got wrong: 4096 tokens, 400 warm-up steps, clip 1.0.
    assertEquals(
        new TrainConfig(
            2000,
            4096,
            1e-3,
            400,
            TrainConfig.Schedule.INVERSE_SQRT,
            1e-7,
            0.9,
            0.98,
            0.1,
            1.0,
            1,
            new Dropouts(0.1f, 0.1f, 0.0f),
            1,
            500,
            4,
            2,
            50),
        t);
    // finalize: train's optimiser with finalize's steps and schedule; its record text is part of
    // the fingerprint.
    TrainConfig f = FinalizeStage.config(spec(), 1);
    assertEquals(
        new TrainConfig(
            200,
            4096,
            FinalizeStage.inheritLr(t),
            20,
            TrainConfig.Schedule.CONSTANT,
            1e-7,
            0.9,
            0.98,
            0.1,
            1.0,
            1,
            new Dropouts(0.1f, 0.1f, 0.0f),
            1,
            100,
            0,
            1,
            40),
        f);
    // sparse fine-tuning is off unless asked for; auto's probe: a tenth of the 200 steps, at most
    // 10 updates
    assertEquals("all", spec().finalizeSpec().update());
    assertEquals(10, FinalizeStage.probeSteps(f));
    assertEquals(2, FinalizeStage.probeSteps(f.toBuilder().steps(6).build()));
  }

  @Test
  void searchSettingsAreTheSpecsDefaults() {
    SearchConfig s = SearchStage.config(spec());
    // What the deleted SearchConfig.defaults() got wrong: 10,000 sampling tries.
    assertEquals(
        new SearchConfig(
            125,
            25,
            50,
            50,
            0.3,
            30,
            1,
            1e-4,
            10_000,
            SearchMode.HAT,
            Hypervolume.Reference.DEFAULT),
        s);
    assertEquals(
        "SearchConfig[population=125, parents=25, mutations=50, crossovers=50, mutationProb=0.3,"
            + " generations=30, seed=1, fitnessPrecision=1.0E-4, maxSampleTries=10000]",
        s.courseKey());
  }

  @Test
  void buildersNameWhatIsUnsetOrWrong() {
    IllegalStateException unset =
        assertThrows(
            IllegalStateException.class, () -> TrainConfig.builder().steps(3).lr(1e-3).build());
    assertTrue(
        unset.getMessage().startsWith("TrainConfig: not set: maxTokens, warmupSteps, schedule"),
        unset.getMessage());
    IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class,
            () -> TrainStage.config(spec()).toBuilder().sandwichEvery(1).maxTokens(0).build());
    assertTrue(
        bad.getMessage().contains("train.max_tokens: expected >= 1, got 0")
            && bad.getMessage().contains("train.extremes_every: expected 0 or >= 2, got 1"),
        bad.getMessage());
  }
}
