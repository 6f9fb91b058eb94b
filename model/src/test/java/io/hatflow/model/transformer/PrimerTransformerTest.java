package io.hatflow.model.transformer;

import static io.hatflow.model.transformer.SuperTransformerTest.assertClose;
import static io.hatflow.model.transformer.SuperTransformerTest.randomIds;
import static io.hatflow.model.transformer.SuperTransformerTest.tokens;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.Complexity;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Primer's genes in the SuperTransformer: FFN activations and the depthwise convolution after Q, K,
 * V.
 */
class PrimerTransformerTest {
  static final SearchSpace PRIMER = SearchSpace.preset("tiny-primer");
  static final int V = 40;
  static NDManager manager;
  static SuperTransformer model;

  @BeforeAll
  static void setUp() {
    Threads.useIntraOp(1);
    manager = NDManager.newBaseManager();
    model =
        SuperTransformer.create(manager, PRIMER.largest(), PRIMER.qkvDim(), V, Dropouts.NONE, 7);
    // the kernels start as identities (a no-op): give them random values so the tests see the
    // convolution
    Random r = new Random(1);
    for (var e : model.weights().all().entrySet()) {
      if (e.getKey().endsWith(WeightNames.SELF_DCONV)) {
        float[] k = new float[(int) e.getValue().size()];
        for (int i = 0; i < k.length; i++) {
          k[i] = (float) r.nextGaussian() * 0.5f;
        }
        e.getValue().set(k);
      }
    }
  }

  @AfterAll
  static void tearDown() {
    model.close();
    manager.close();
  }

  /** Mixed dims, each activation, the convolution on some layers only. */
  static SubConfig mixed() {
    return new SubConfig(
        96,
        3,
        List.of(256, 512, 128),
        List.of(2, 4, 2),
        128,
        3,
        List.of(128, 512, 256),
        List.of(4, 2, 4),
        List.of(2, 4, 4),
        List.of(2, 1, -1),
        List.of(1, 2, 0),
        List.of(3, 0, 3),
        List.of(2, 0, 1),
        List.of(3, 3, 0));
  }

  static SubConfig with(
      SubConfig c,
      List<Integer> encAct,
      List<Integer> encConv,
      List<Integer> decAct,
      List<Integer> decConv) {
    return new SubConfig(
        c.encoderEmbedDim(),
        c.encoderLayerNum(),
        c.encoderFfnEmbedDim(),
        c.encoderSelfAttentionHeads(),
        c.decoderEmbedDim(),
        c.decoderLayerNum(),
        c.decoderFfnEmbedDim(),
        c.decoderSelfAttentionHeads(),
        c.decoderEndeAttentionHeads(),
        c.decoderArbitraryEndeAttn(),
        encAct,
        encConv,
        decAct,
        decConv);
  }

  @Test
  void incrementalDecodingEqualsTeacherForcingWithTheCausalConvolution() {
    try (NDManager m = manager.newSubManager()) {
      Random r = new Random(5);
      NDArray src = tokens(m, new long[][] {randomIds(r, 6), randomIds(r, 3)});
      NDArray tgt = tokens(m, new long[][] {randomIds(r, 5), randomIds(r, 5)});
      Random cr = new Random(9);
      for (SubConfig c : List.of(mixed(), PRIMER.largest(), PRIMER.sample(cr), PRIMER.sample(cr))) {
        NDArray full = model.forward(c, src, tgt, false);
        SuperTransformer.DecoderState st = model.startDecoding(c, model.encode(c, src, false));
        for (int t = 0; t < 5; t++) {
          NDArray step = model.step(st, tgt.get(":, " + t));
          assertArrayEquals(
              full.get(":, " + t + ", :").toFloatArray(), step.toFloatArray(), 1e-5f, c.key());
        }
      }
    }
  }

  @Test
  void beamReorderKeepsTheConvolutionHistory() {
    try (NDManager m = manager.newSubManager()) {
      Random r = new Random(4);
      long[] s = randomIds(r, 5);
      NDArray src = tokens(m, new long[][] {s, s});
      long[][] t = {randomIds(r, 4), randomIds(r, 4)};
      NDArray full = model.forward(mixed(), src, tokens(m, new long[][] {t[1], t[0]}), false);
      SuperTransformer.DecoderState st =
          model.startDecoding(mixed(), model.encode(mixed(), src, false));
      NDArray step = null;
      for (int j = 0; j < 4; j++) {
        if (j == 2) {
          st.reorder(m.create(new long[] {1, 0})); // swap the two hypotheses mid-sentence
        }
        long[] prev = j < 2 ? new long[] {t[0][j], t[1][j]} : new long[] {t[1][j], t[0][j]};
        step = model.step(st, m.create(prev));
      }
      assertClose(full.get(":, 3, :"), step, 1e-5f);
    }
  }

  @Test
  void sourcePaddingDoesNotReachTheCentredConvolution() {
    try (NDManager m = manager.newSubManager()) {
      Random r = new Random(2);
      long[] s = randomIds(r, 4);
      long[] t = randomIds(r, 5);
      NDArray alone =
          model.forward(mixed(), tokens(m, new long[][] {s}), tokens(m, new long[][] {t}), false);
      NDArray batch =
          model.forward(
              mixed(),
              tokens(m, new long[][] {s, randomIds(r, 9)}),
              tokens(m, new long[][] {t, randomIds(r, 5)}),
              false);
      assertClose(alone.get(0), batch.get(0), 1e-5f);
    }
  }

  @Test
  void decoderStaysCausal() {
    try (NDManager m = manager.newSubManager()) {
      Random r = new Random(3);
      NDArray src = tokens(m, new long[][] {randomIds(r, 6)});
      long[] t = randomIds(r, 6);
      long[] t2 = t.clone();
      t2[4] = t[4] == 5 ? 6 : 5;
      NDArray a = model.forward(mixed(), src, tokens(m, new long[][] {t}), false);
      NDArray b = model.forward(mixed(), src, tokens(m, new long[][] {t2}), false);
      assertClose(a.get(":, :4"), b.get(":, :4"), 1e-6f);
      assertTrue(a.get(":, 4:").sub(b.get(":, 4:")).abs().max().getFloat() > 1e-4f);
    }
  }

  @Test
  void everyGeneChangesTheOutputAndHatDefaultsEqualTheAbsentGenes() {
    try (NDManager m = manager.newSubManager()) {
      Random r = new Random(8);
      NDArray src = tokens(m, new long[][] {randomIds(r, 6)});
      NDArray tgt = tokens(m, new long[][] {randomIds(r, 5)});
      SubConfig c = mixed();
      List<Integer> zeros = List.of(0, 0, 0);
      SubConfig plain = with(c, List.of(), List.of(), List.of(), List.of());
      SubConfig defaults = with(c, zeros, zeros, zeros, zeros);
      assertClose(
          model.forward(plain, src, tgt, false), model.forward(defaults, src, tgt, false), 0f);
      NDArray base = model.forward(defaults, src, tgt, false);
      for (SubConfig other :
          List.of(
              with(c, List.of(1, 0, 0), zeros, zeros, zeros),
              with(c, List.of(2, 0, 0), zeros, zeros, zeros),
              with(c, zeros, List.of(0, 3, 0), zeros, zeros),
              with(c, zeros, zeros, List.of(0, 1, 0), zeros),
              with(c, zeros, zeros, zeros, List.of(0, 0, 3)))) {
        assertTrue(
            model.forward(other, src, tgt, false).sub(base).abs().max().getFloat() > 1e-4f,
            other.key());
      }
    }
  }

  @Test
  void extractedModelHoldsOnlyTheKernelsItUsesAndGivesTheSameLogits() {
    try (NDManager m = manager.newSubManager()) {
      Random r = new Random(6);
      NDArray src = tokens(m, new long[][] {randomIds(r, 6), randomIds(r, 3)});
      NDArray tgt = tokens(m, new long[][] {randomIds(r, 4), randomIds(r, 2)});
      SubConfig c = mixed();
      try (SuperTransformer sub = model.extract(m, c)) {
        assertTrue(sub.weights().has("enc.0." + WeightNames.SELF_DCONV));
        assertTrue(!sub.weights().has("enc.1." + WeightNames.SELF_DCONV));
        assertEquals(
            Complexity.params(c, PRIMER.qkvDim()),
            sub.weights().numel() - sub.weights().get(WeightNames.EMBED).size());
        assertClose(model.forward(c, src, tgt, false), sub.forward(c, src, tgt, false), 1e-5f);
      }
    }
  }

  @Test
  void aSubTransformerDirectoryKeepsTheGenesInHatYaml(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
    SubConfig c = mixed();
    java.nio.file.Path dir = tmp.resolve("sub");
    io.hatflow.model.extract.SubTransformerModel.write(model, c, "d", dir);
    String yaml =
        java.nio.file.Files.readString(
            dir.resolve(io.hatflow.model.extract.SubTransformerModel.CONFIG));
    assertTrue(
        yaml.contains("encoder-activation-all-subtransformer: [squared_relu, gelu, relu]"), yaml);
    assertTrue(yaml.contains("decoder-attention-dconv-all-subtransformer: [3, 3, 0]"), yaml);
    try (NDManager m = manager.newSubManager();
        var loaded = io.hatflow.model.extract.SubTransformerModel.load(dir, m)) {
      assertEquals(c.active(), loaded.config());
      Random r = new Random(12);
      NDArray src = tokens(m, new long[][] {randomIds(r, 5)});
      NDArray tgt = tokens(m, new long[][] {randomIds(r, 4)});
      assertClose(
          model.forward(c, src, tgt, false),
          loaded.model().forward(loaded.config(), src, tgt, false),
          1e-5f);
    }
  }

  @Test
  void aModelTrainedWithoutTheConvolutionRejectsIt() {
    SearchSpace tiny = SearchSpace.preset("tiny");
    try (NDManager m = manager.newSubManager();
        SuperTransformer plain =
            SuperTransformer.create(m, tiny.largest(), tiny.qkvDim(), V, Dropouts.NONE, 7)) {
      UserInputException e = assertThrows(UserInputException.class, () -> plain.check(mixed()));
      assertTrue(e.getMessage().contains("encoder_attention_dconv[0]=3"), e.getMessage());
      assertTrue(
          plain.weights().all().keySet().stream()
              .noneMatch(k -> k.endsWith(WeightNames.SELF_DCONV)));
    }
  }
}
