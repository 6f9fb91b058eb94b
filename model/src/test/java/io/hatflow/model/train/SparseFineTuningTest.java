package io.hatflow.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.eval.FitnessEvaluator;
import io.hatflow.model.transformer.SuperTransformer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sparse fine-tuning: frozen weights stay exactly as inherited and hold no optimizer state; auto's
 * probe and pick.
 */
class SparseFineTuningTest {
  @TempDir static Path tmp;
  static Path shards;
  static Path base;
  static final SubConfig FIXED = TrainerTest.TINY.largest(); // 3 encoder + 3 decoder layers

  @BeforeAll
  static void data() throws Exception {
    shards = tmp.resolve("shards");
    Shards.write(shards, "train", 2, 60, TrainerTest.V, 1);
    base =
        Trainer.train(
                TrainerTest.cfg(3),
                TrainerTest.TINY,
                TrainerTest.V,
                shards,
                tmp.resolve("base"),
                false,
                null)
            .checkpoint();
  }

  private static Map<String, float[]> values(SuperTransformer m) {
    Map<String, float[]> out = new HashMap<>();
    m.weights().all().forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  /**
   * Fine-tunes from the base checkpoint with {@code t}; returns the weights before and the
   * checkpoint after.
   */
  private static void fineTune(
      Trainable t,
      String dir,
      java.util.function.BiConsumer<Map<String, float[]>, SuperTransformerCheckpoint> check,
      int steps,
      boolean resume) {
    try (SuperTransformerCheckpoint start = SuperTransformerCheckpoint.load(base)) {
      Map<String, float[]> before = values(start.model());
      Trainer.Result r =
          Trainer.trainFixed(
              TrainerTest.cfg(steps),
              TrainerTest.TINY,
              FIXED,
              m -> start.model().extract(m, FIXED),
              TrainerTest.V,
              shards,
              tmp.resolve(dir),
              resume,
              null,
              null,
              t);
      assertEquals(
          Trainer.updated(start.model(), t).stream().mapToLong(NDArray::size).sum(),
          r.cost().updatedParams());
      assertTrue(r.cost().stepMs() > 0 && r.cost().backwardMs() > 0, r.cost().toString());
      try (SuperTransformerCheckpoint after = SuperTransformerCheckpoint.load(r.checkpoint())) {
        check.accept(before, after);
      }
    }
  }

  private static void assertOnlyUpdatedChanged(
      Trainable t, Map<String, float[]> before, SuperTransformerCheckpoint after) {
    int changed = 0;
    for (var e : after.model().weights().all().entrySet()) {
      float[] now = e.getValue().toFloatArray();
      if (t.test(e.getKey())) {
        boolean moved = !java.util.Arrays.equals(before.get(e.getKey()), now);
        changed += moved ? 1 : 0;
      } else {
        assertArrayEquals(
            before.get(e.getKey()), now, t.mode() + ": frozen " + e.getKey() + " changed");
      }
    }
    assertTrue(changed > 0, t.mode() + ": no updated weight moved");
    // the optimizer keeps moments for the updated weights only
    long updated = after.model().weights().all().keySet().stream().filter(t).count();
    assertEquals(updated, after.adamM().size());
    assertEquals(updated, after.adamV().size());
  }

  @Test
  void frozenWeightsStayAsInheritedAndHoldNoOptimizerState() {
    Trainable bias = Trainable.bias();
    fineTune(bias, "bias", (b, a) -> assertOnlyUpdatedChanged(bias, b, a), 3, false);
    Trainable last2 = Trainable.lastK(FIXED, 2);
    assertEquals(List.of("dec.2", "dec.1"), last2.layers());
    fineTune(
        last2,
        "last2",
        (b, a) -> {
          assertOnlyUpdatedChanged(last2, b, a);
          assertFalse(
              a.model().weights().all().keySet().stream()
                  .filter(last2)
                  .anyMatch(n -> n.startsWith("enc.")));
        },
        3,
        false);
    // all: every weight that gets a gradient moves (embedding and every layer)
    fineTune(
        Trainable.ALL,
        "all",
        (b, a) -> {
          for (var e : a.model().weights().all().entrySet()) {
            if (e.getKey().startsWith("enc.")
                || e.getKey().startsWith("dec.")
                || e.getKey().equals("embed")) {
              assertFalse(
                  java.util.Arrays.equals(b.get(e.getKey()), e.getValue().toFloatArray()),
                  e.getKey() + " did not move");
            }
          }
          assertEquals(a.model().weights().all().size(), a.adamM().size());
        },
        3,
        false);
  }

  @Test
  void aSparseRunResumesToTheSameWeights() {
    Trainable last2 = Trainable.lastK(FIXED, 2);
    Map<String, float[]> straight = new HashMap<>();
    fineTune(last2, "straight", (b, a) -> straight.putAll(values(a.model())), 6, false);
    fineTune(last2, "resumed", (b, a) -> {}, 3, false);
    fineTune(
        last2,
        "resumed",
        (b, a) -> {
          assertEquals(6, a.step());
          values(a.model()).forEach((k, v) -> assertArrayEquals(straight.get(k), v, k));
        },
        6,
        true);
  }

  @Test
  void autoProbesEveryLayerAndPicksWithinTheBudget() {
    List<Batch> valid = Corpus.batches(Corpus.read(shards, "train"), 200);
    ToDoubleFunction<SuperTransformer> loss =
        m -> new FitnessEvaluator(m, 1, 0.1).validLoss(FIXED, valid);
    try (SuperTransformerCheckpoint start = SuperTransformerCheckpoint.load(base)) {
      List<String> lines = new java.util.ArrayList<>();
      Trainer.ProbeResult p =
          Trainer.probe(
              TrainerTest.cfg(3),
              FIXED,
              m -> start.model().extract(m, FIXED),
              shards,
              2,
              loss,
              lines::add);
      assertEquals(
          Trainable.layers(FIXED), p.layers().stream().map(Trainable.Probe::layer).toList());
      assertEquals(7, lines.size());
      assertEquals(loss.applyAsDouble(start.model()), p.startLoss(), 1e-6);
      assertTrue(
          p.full().backwardMs() > 0 && p.layers().stream().allMatch(r -> r.backwardMs() > 0));
      assertTrue(
          p.layers().stream().allMatch(r -> r.pathMs() > 0 && r.weightMs() >= 0), p.toString());
      assertTrue(lines.get(0).contains("path"), lines.get(0));
      for (double budget : new double[] {0.3, 1.0}) {
        List<String> picked = Trainable.pick(p.layers(), p.full().backwardMs(), budget);
        assertTrue(
            Trainable.estimatedMs(p.layers(), picked) <= budget * p.full().backwardMs(),
            budget + " " + p);
        assertTrue(
            p.layers().stream()
                .filter(r -> picked.contains(r.layer()))
                .allMatch(r -> r.lossGain() > 0));
      }
    }
  }

  @Test
  void pickCountsTheSharedBackwardPathOnce() {
    // (layer, gain, alone ms, path ms): alone = path down to the layer + its weight gradients; full
    // backward 100
    List<Trainable.Probe> probes =
        List.of(
            new Trainable.Probe("dec.1", 0.30, 14, 8), // w 6
            new Trainable.Probe("dec.0", 0.20, 16, 12), // w 4
            new Trainable.Probe("enc.1", 0.50, 40, 30), // w 10
            new Trainable.Probe("enc.0", -0.1, 41, 40)); // made it worse: never
    // the path down to dec.0 is counted once: 12 + 6 + 4 = 22, where summed alone times (30) would
    // miss 0.25
    assertEquals(22, Trainable.estimatedMs(probes, List.of("dec.1", "dec.0")), 1e-9);
    assertEquals(List.of("dec.1", "dec.0"), Trainable.pick(probes, 100, 0.25));
    assertEquals(
        List.of("dec.1", "dec.0"), Trainable.pick(probes, 100, 0.3)); // + enc.1: 30 + 20 = 50 > 30
    // dec.1 first (0.30 / 14 ms), then dec.0 (0.20 / 8 ms marginal) before enc.1 (0.50 / 32 ms
    // marginal), then
    // enc.1: its path covers the decoder's, 30 + 6 + 4 + 10 = 50
    assertEquals(List.of("dec.1", "dec.0", "enc.1"), Trainable.pick(probes, 100, 0.5));
    assertEquals(50, Trainable.estimatedMs(probes, List.of("dec.1", "dec.0", "enc.1")), 1e-9);
    // only dec.1 fits 15
    assertEquals(List.of("dec.1"), Trainable.pick(probes, 100, 0.15));
    // layers above one already picked add only their weight gradients: enc.1 first (2.0 / 40 ms),
    // then dec.0 (4 ms)
    // and dec.1 (6 ms) fit in 50, where summed alone times (40 + 16 + 14) would not
    List<Trainable.Probe> deepFirst =
        List.of(
            new Trainable.Probe("dec.1", 0.05, 14, 8),
            new Trainable.Probe("dec.0", 0.04, 16, 12),
            new Trainable.Probe("enc.1", 2.0, 40, 30));
    assertEquals(List.of("dec.1", "dec.0", "enc.1"), Trainable.pick(deepFirst, 100, 0.5));
    assertEquals(List.of(), Trainable.pick(probes, 100, 0.01));
  }

  @Test
  void trainableNamesTheRightWeights() {
    Trainable bias = Trainable.bias();
    assertTrue(
        bias.test("enc.0.self.in_b") && bias.test("dec.2.fc1.b") && bias.test("dec.1.ln3.b"));
    assertFalse(bias.test("enc.0.fc1.w") || bias.test("embed") || bias.test("dec.0.ln1.g"));
    Trainable picked = Trainable.picked(List.of("enc.1"));
    assertTrue(picked.test("enc.1.fc2.w") && picked.test("enc.1.ln2.g"));
    assertFalse(picked.test("enc.10.fc2.w") || picked.test("dec.1.fc2.w") || picked.test("embed"));
    assertEquals(
        List.of("dec.2", "dec.1", "dec.0", "enc.2", "enc.1", "enc.0"), Trainable.layers(FIXED));
  }
}
