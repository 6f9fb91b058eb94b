package io.hatflow.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.model.transformer.Dropouts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
  static final SearchSpace TINY = SearchSpace.preset("tiny");
  static final int V = 30;
  @TempDir static Path tmp;
  static Path shards;

  @BeforeAll
  static void data() throws Exception {
    shards = tmp.resolve("shards");
    Shards.write(shards, "train", 2, 60, V, 1);
  }

  static TrainConfig cfg(int steps) {
    return TrainConfig.builder()
        .steps(steps)
        .maxTokens(200)
        .lr(2e-3)
        .warmupSteps(3)
        .schedule(TrainConfig.Schedule.COSINE)
        .minLr(1e-5)
        .beta1(0.9)
        .beta2(0.98)
        .labelSmoothing(0.1)
        .clipNorm(1.0)
        .gradAccum(2)
        .dropouts(new Dropouts(0.1f, 0.1f, 0.1f))
        .seed(5)
        .checkpointEvery(3)
        .sandwichEvery(3)
        .threads(1)
        .logEvery(1)
        .build();
  }

  @Test
  void resumedRunReachesTheSameWeights() throws Exception {
    Path a = tmp.resolve("a");
    List<Double> losses = new ArrayList<>();
    Trainer.Result ra = Trainer.train(cfg(7), TINY, V, shards, a, false, p -> losses.add(p.loss()));
    assertEquals(7, losses.size());

    Path b = tmp.resolve("b");
    RuntimeException crash =
        assertThrows(
            RuntimeException.class,
            () ->
                Trainer.train(
                    cfg(7),
                    TINY,
                    V,
                    shards,
                    b,
                    false,
                    p -> {
                      if (p.step() == 5) {
                        throw new IllegalStateException("simulated crash");
                      }
                    }));
    assertEquals("simulated crash", crash.getMessage());
    try (SuperTransformerCheckpoint mid = SuperTransformerCheckpoint.load(b)) {
      assertEquals(3, mid.step());
    }
    Trainer.Result rb = Trainer.train(cfg(7), TINY, V, shards, b, true, null);
    try (SuperTransformerCheckpoint ca = SuperTransformerCheckpoint.load(ra.checkpoint());
        SuperTransformerCheckpoint cb = SuperTransformerCheckpoint.load(rb.checkpoint())) {
      float maxDiff = 0;
      Map<String, NDArray> wa = ca.model().weights().all();
      for (var e : cb.model().weights().all().entrySet()) {
        maxDiff = Math.max(maxDiff, wa.get(e.getKey()).sub(e.getValue()).abs().max().getFloat());
      }
      assertEquals(0f, maxDiff, "resumed weights differ");
      assertEquals(ra.digest(), rb.digest());
      assertEquals(7, cb.step());
    }
    assertTrue(Files.readString(b.resolve("train.log")).contains("resumed from step 3"));
  }

  /**
   * Fine-tuning that validates as it goes keeps its best step, and the starting weights when it
   * only hurt.
   */
  @Test
  void validatedFineTuningKeepsTheBestStepOrTheStartingWeights() throws Exception {
    Trainer.Result base = Trainer.train(cfg(6), TINY, V, shards, tmp.resolve("base"), false, null);
    List<Batch> valid =
        Corpus.batches(Corpus.read(shards, "train"), 200); // what it trains on: it must improve
    var fixed = TINY.largest();
    try (SuperTransformerCheckpoint start = SuperTransformerCheckpoint.load(base.checkpoint())) {
      java.util.function.ToDoubleFunction<io.hatflow.model.transformer.SuperTransformer> loss =
          m -> new io.hatflow.model.eval.FitnessEvaluator(m, 1, 0.1).validLoss(fixed, valid);
      double startLoss = loss.applyAsDouble(start.model());

      Path good = tmp.resolve("fine");
      Trainer.Result r =
          Trainer.trainFixed(
              cfg(8),
              TINY,
              fixed,
              m -> start.model().extract(m, fixed),
              V,
              shards,
              good,
              false,
              null,
              new Trainer.Validation(loss, 2, startLoss));
      assertTrue(
          r.bestStep() > 0 && r.bestLoss() < startLoss,
          r.bestStep() + " " + r.bestLoss() + " vs " + startLoss);
      try (SuperTransformerCheckpoint kept = SuperTransformerCheckpoint.load(r.best())) {
        assertEquals(r.bestStep(), kept.step());
        assertEquals(
            r.bestLoss(),
            loss.applyAsDouble(kept.model()),
            1e-6,
            "the kept file holds the validated weights");
      }

      TrainConfig hot =
          cfg(8).toBuilder()
              .lr(0.5)
              .warmupSteps(0)
              .schedule(TrainConfig.Schedule.CONSTANT)
              .clipNorm(0)
              .gradAccum(1)
              .build(); // a rate that wrecks the weights
      Path bad = tmp.resolve("hot");
      Trainer.Result worse =
          Trainer.trainFixed(
              hot,
              TINY,
              fixed,
              m -> start.model().extract(m, fixed),
              V,
              shards,
              bad,
              false,
              null,
              new Trainer.Validation(loss, 2, startLoss));
      assertEquals(0, worse.bestStep(), "nothing beat the starting weights");
      assertEquals(null, worse.best());
      assertEquals(startLoss, worse.bestLoss());
      assertTrue(
          Files.readString(bad.resolve("train.log"))
              .contains("kept step 0 (the starting weights)"));
    }
  }

  @Test
  void primerGenesTrainTheirKernelsAndACheckpointWithoutThemNamesTheGene() throws Exception {
    SearchSpace primer = SearchSpace.preset("tiny-primer");
    Path p = tmp.resolve("primer");
    Trainer.Result r = Trainer.train(cfg(3), primer, V, shards, p, false, null);
    try (SuperTransformerCheckpoint ck = SuperTransformerCheckpoint.load(r.checkpoint())) {
      assertEquals(primer.genes(), ck.space().genes());
      NDArray k = ck.model().weights().get("dec.0.self.dconv");
      assertEquals(new ai.djl.ndarray.types.Shape(3 * primer.qkvDim(), 3), k.getShape());
      // identity at init ([0, 0, 1] causal): sampled configs with the convolution on have moved it
      assertTrue(k.get(":, :2").abs().sum().getFloat() > 0, "the kernels are trained");
    }
    Path plain = tmp.resolve("plain");
    Trainer.train(cfg(1), TINY, V, shards, plain, false, null);
    var e =
        assertThrows(
            SuperTransformerCheckpoint.MismatchedCheckpointException.class,
            () -> Trainer.train(cfg(2), primer, V, shards, plain, true, null));
    assertTrue(
        e.getMessage()
            .startsWith(
                "gene encoder_activation is in search space tiny-primer but the checkpoint "
                    + "(search space tiny, step 1"),
        e.getMessage());
  }

  @Test
  void mismatchedAndCorruptCheckpointsFailClearly() throws Exception {
    Path out = tmp.resolve("c");
    Trainer.train(cfg(1), TINY, V, shards, out, false, null);
    SearchSpace other = SearchSpace.preset("hat-iwslt-space1");
    var e1 =
        assertThrows(
            SuperTransformerCheckpoint.MismatchedCheckpointException.class,
            () -> Trainer.train(cfg(2), other, V, shards, out, true, null));
    assertTrue(e1.getMessage().contains("search space tiny"), e1.getMessage());
    var e2 =
        assertThrows(
            SuperTransformerCheckpoint.MismatchedCheckpointException.class,
            () -> Trainer.train(cfg(2), TINY, V + 1, shards, out, true, null));
    assertTrue(e2.getMessage().contains("vocabulary size " + V), e2.getMessage());

    Path ck = out.resolve(SuperTransformerCheckpoint.FILE_NAME);
    byte[] bytes = Files.readAllBytes(ck);
    bytes[bytes.length / 2] ^= 0x40;
    Path bad = tmp.resolve("bad.hfc");
    Files.write(bad, bytes);
    var e3 =
        assertThrows(
            SuperTransformerCheckpoint.CorruptCheckpointException.class,
            () -> SuperTransformerCheckpoint.load(bad));
    assertTrue(e3.getMessage().contains("checksum"), e3.getMessage());
    Files.writeString(bad, "hello");
    assertThrows(
        SuperTransformerCheckpoint.CorruptCheckpointException.class,
        () -> SuperTransformerCheckpoint.load(bad));
  }

  @Test
  void vocabularyTooSmallForTheDataIsReported() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Trainer.train(cfg(1), TINY, 10, shards, tmp.resolve("d"), false, null));
    assertTrue(e.getMessage().contains("outside the vocabulary of size 10"), e.getMessage());
  }

  @Test
  void batchesRespectTheTokenBudgetAndCoverEveryPair() {
    List<Corpus.Pair> pairs = Corpus.read(shards, "train");
    assertEquals(120, pairs.size());
    List<Batch> bs = Corpus.batches(pairs, 40);
    int rows = 0;
    for (Batch b : bs) {
      assertTrue(b.paddedTokens() <= 40);
      rows += b.rows();
    }
    assertEquals(120, rows);
    List<Batch> again = Corpus.batches(pairs, 40);
    for (int i = 0; i < bs.size(); i++) {
      assertTrue(java.util.Arrays.equals(bs.get(i).src(), again.get(i).src()));
    }
  }
}
