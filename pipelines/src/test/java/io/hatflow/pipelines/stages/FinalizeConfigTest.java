package io.hatflow.pipelines.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hatflow.core.spec.Spec;
import io.hatflow.core.spec.SpecLoader;
import io.hatflow.core.spec.SpecOverride;
import io.hatflow.model.train.TrainConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** finalize's learning-rate schedule per mode, and the spec keys that override it. */
class FinalizeConfigTest {
  private static final String SPEC =
      String.join(
          "\n",
          "version: 1",
          "name: t",
          "data: {train: {src: a.en, tgt: a.de}, vocab: {size: 4000}}",
          "train: {steps: 500, lr: 0.002, warmup_steps: 100, schedule: inverse_sqrt, checkpoint_every: 100}",
          "finalize: {steps: 50}",
          "");

  private static TrainConfig config(String... sets) {
    Spec s =
        SpecLoader.parse(
                "spec.yaml",
                SPEC.getBytes(StandardCharsets.UTF_8),
                Path.of("/base"),
                Arrays.stream(sets).map(SpecOverride::parse).toList())
            .spec();
    return FinalizeStage.config(s, 1);
  }

  @Test
  void inheritFineTunesAtAQuarterOfTrainLrConstantAfterAShortWarmUp() {
    TrainConfig c = config();
    assertEquals(50, c.steps());
    assertEquals(0.002 / 4, c.lr(), 1e-15);
    assertEquals(TrainConfig.Schedule.CONSTANT, c.schedule());
    assertEquals(5, c.warmupSteps(), "a tenth of the steps");
    assertEquals(c.lr(), c.lrAt(4), 1e-15, "warm-up ends at the peak");
    assertEquals(c.lr(), c.lrAt(49), 1e-15, "then constant");
    assertEquals(c.lr() / 5 + 1e-7 * 4 / 5, c.lrAt(0), 1e-12);
  }

  @Test
  void scratchKeepsTrainsScheduleWithItsWarmUpCappedAtAFifthOfTheSteps() {
    TrainConfig c = config("finalize.mode=scratch");
    assertEquals(0.002, c.lr(), 1e-15);
    assertEquals(TrainConfig.Schedule.INVERSE_SQRT, c.schedule());
    assertEquals(10, c.warmupSteps());
    assertEquals(0.002 * Math.sqrt(10.0 / 40), c.lrAt(39), 1e-12);
    assertEquals(
        TrainConfig.Schedule.COSINE,
        config("finalize.mode=scratch", "train.schedule=cosine").schedule());
  }

  @Test
  void finalizeLrAndWarmUpOverrideEitherMode() {
    TrainConfig i = config("finalize.lr=3e-4", "finalize.warmup_steps=0");
    assertEquals(3e-4, i.lr(), 1e-15);
    assertEquals(0, i.warmupSteps());
    assertEquals(3e-4, i.lrAt(0), 1e-15);
    TrainConfig s = config("finalize.mode=scratch", "finalize.lr=3e-4", "finalize.warmup_steps=20");
    assertEquals(3e-4, s.lr(), 1e-15);
    assertEquals(20, s.warmupSteps());
    assertEquals(TrainConfig.Schedule.INVERSE_SQRT, s.schedule());
  }
}
