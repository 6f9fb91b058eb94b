package io.hatflow.model.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.text.SpecialTokens;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SuperTransformerTest {
  static final SearchSpace TINY = SearchSpace.preset("tiny");
  static final int V = 40;
  static NDManager manager;
  static SuperTransformer model;

  @BeforeAll
  static void setUp() {
    Threads.useIntraOp(1);
    manager = NDManager.newBaseManager();
    model = SuperTransformer.create(manager, TINY.largest(), TINY.qkvDim(), V, Dropouts.NONE, 7);
  }

  @AfterAll
  static void tearDown() {
    model.close();
    manager.close();
  }

  static NDArray tokens(NDManager m, long[][] rows) {
    int w = 0;
    for (long[] r : rows) {
      w = Math.max(w, r.length);
    }
    long[] flat = new long[rows.length * w];
    java.util.Arrays.fill(flat, SpecialTokens.PAD);
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, flat, i * w, rows[i].length);
    }
    return m.create(flat, new Shape(rows.length, w));
  }

  static long[] randomIds(Random r, int n) {
    long[] x = new long[n];
    for (int i = 0; i < n; i++) {
      x[i] = SpecialTokens.COUNT + r.nextInt(V - SpecialTokens.COUNT);
    }
    return x;
  }

  /**
   * A mixed config: different dims per layer, 2 of 3 decoder layers, arbitrary ende attention 1..3
   * layers.
   */
  static SubConfig mixed() {
    return new SubConfig(
        96,
        3,
        List.of(256, 512, 128),
        List.of(2, 4, 2),
        128,
        2,
        List.of(128, 512, 256),
        List.of(4, 2, 4),
        List.of(2, 4, 4),
        List.of(2, 1, -1));
  }

  @Test
  void shapesForLargestSmallestAndMixed() {
    try (NDManager m = manager.newSubManager()) {
      Random r = new Random(1);
      NDArray src = tokens(m, new long[][] {randomIds(r, 7), randomIds(r, 4)});
      NDArray tgt = tokens(m, new long[][] {randomIds(r, 5), randomIds(r, 3)});
      for (SubConfig c : List.of(TINY.largest(), TINY.smallest(), mixed())) {
        NDArray out = model.forward(c, src, tgt, false);
        assertEquals(new Shape(2, 5, V), out.getShape(), c.key());
        assertTrue(Float.isFinite(out.sum().getFloat()));
      }
    }
  }

  @Test
  void sourcePaddingDoesNotChangeOutputs() {
    try (NDManager m = manager.newSubManager()) {
      Random r = new Random(2);
      long[] s = randomIds(r, 4);
      long[] t = randomIds(r, 5);
      NDArray alone =
          model.forward(mixed(), tokens(m, new long[][] {s}), tokens(m, new long[][] {t}), false);
      // same sentence padded to length 9 in a batch with a longer one
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
  void decoderIsCausal() {
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
  void crossAttentionSeesOneToThreeEncoderLayers() {
    try (NDManager m = manager.newSubManager()) {
      Random r = new Random(4);
      NDArray src = tokens(m, new long[][] {randomIds(r, 5), randomIds(r, 3)});
      SuperTransformer.Encoded enc = model.encode(TINY.largest(), src, false);
      for (int arb : new int[] {-1, 1, 2}) {
        SubConfig c = withArb(TINY.largest(), arb);
        var kvm = enc.endeInput(c, 0);
        int n = arb == -1 ? 1 : arb + 1;
        assertEquals(new Shape(2, 5L * n, 128), kvm.get(0).getShape());
        assertEquals(new Shape(2, 1, 1, 5L * n), kvm.get(1).getShape());
        // padding of the short sentence masked in every concatenated copy
        float[] mask = kvm.get(1).get(1).toFloatArray();
        for (int k = 0; k < n; k++) {
          assertEquals(0f, Math.abs(mask[k * 5 + 2]));
          assertTrue(mask[k * 5 + 3] < -1e8f && mask[k * 5 + 4] < -1e8f);
        }
      }
      NDArray tgt = tokens(m, new long[][] {randomIds(r, 4), randomIds(r, 4)});
      NDArray o1 = model.forward(withArb(TINY.largest(), -1), src, tgt, false);
      NDArray o3 = model.forward(withArb(TINY.largest(), 2), src, tgt, false);
      assertTrue(o1.sub(o3).abs().max().getFloat() > 1e-4f);
    }
  }

  static SubConfig withArb(SubConfig c, int arb) {
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
        java.util.Collections.nCopies(c.decoderArbitraryEndeAttn().size(), arb));
  }

  @Test
  void incrementalDecodingEqualsFullForward() {
    try (NDManager m = manager.newSubManager()) {
      Random r = new Random(5);
      NDArray src = tokens(m, new long[][] {randomIds(r, 6), randomIds(r, 3)});
      long[][] tg = {randomIds(r, 5), randomIds(r, 5)};
      NDArray tgt = tokens(m, tg);
      for (SubConfig c : List.of(mixed(), TINY.smallest(), TINY.largest())) {
        NDArray full = model.forward(c, src, tgt, false);
        SuperTransformer.Encoded enc = model.encode(c, src, false);
        SuperTransformer.DecoderState st = model.startDecoding(c, enc);
        for (int t = 0; t < 5; t++) {
          NDArray logits = model.step(st, tgt.get(":, " + t));
          assertClose(full.get(":, " + t + ", :"), logits, 1e-4f);
        }
      }
    }
  }

  @Test
  void extractedModelGivesTheSameLogits() {
    try (NDManager m = manager.newSubManager()) {
      Random r = new Random(6);
      NDArray src = tokens(m, new long[][] {randomIds(r, 6), randomIds(r, 3)});
      NDArray tgt = tokens(m, new long[][] {randomIds(r, 4), randomIds(r, 2)});
      SubConfig c = mixed();
      try (SuperTransformer sub = model.extract(m, c)) {
        assertTrue(sub.weights().numel() < model.weights().numel());
        long nonEmbedding = sub.weights().numel() - sub.weights().get("embed").size();
        assertEquals(io.hatflow.core.space.Complexity.params(c, TINY.qkvDim()), nonEmbedding);
        assertEquals(
            io.hatflow.core.space.Complexity.params(TINY.largest(), TINY.qkvDim()),
            model.weights().numel() - model.weights().get("embed").size());
        assertClose(model.forward(c, src, tgt, false), sub.forward(c, src, tgt, false), 1e-5f);
      }
    }
  }

  @Test
  void gradientsReachOnlyTheActiveSlices() {
    try (NDManager m = NDManager.newBaseManager()) {
      SuperTransformer t =
          SuperTransformer.create(m, TINY.largest(), TINY.qkvDim(), V, Dropouts.NONE, 3);
      for (NDArray w : t.weights().all().values()) {
        w.setRequiresGradient(true);
      }
      Random r = new Random(7);
      SubConfig c = mixed();
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray out =
            t.forward(
                c,
                tokens(m, new long[][] {randomIds(r, 5)}),
                tokens(m, new long[][] {randomIds(r, 4)}),
                true);
        gc.backward(out.mul(out).mean());
      }
      // encoder layer 0: embed 96, ffn 256
      NDArray g = t.weights().get("enc.0.fc1.w").getGradient();
      assertTrue(g.get(":256, :96").abs().sum().getFloat() > 0);
      assertEquals(0f, g.get("256:, :").abs().sum().getFloat());
      assertEquals(0f, g.get(":, 96:").abs().sum().getFloat());
      // decoder layer 2 is inactive: no gradient at all
      assertEquals(0f, t.weights().get("dec.2.fc1.w").getGradient().abs().sum().getFloat());
      // ende k projection of decoder layer 0 reads the 96-dim encoder output
      assertEquals(
          0f, t.weights().get("dec.0.ende.k_w").getGradient().get(":, 96:").abs().sum().getFloat());
      assertTrue(
          t.weights().get("dec.0.ende.k_w").getGradient().get(":, :96").abs().sum().getFloat() > 0);
      t.close();
    }
  }

  @Test
  void rejectsConfigsThatDoNotFit() {
    SubConfig big =
        new SubConfig(
            256,
            3,
            List.of(512, 512, 512),
            List.of(4, 4, 4),
            128,
            3,
            List.of(512, 512, 512),
            List.of(4, 4, 4),
            List.of(4, 4, 4),
            List.of(-1, -1, -1));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> model.check(big));
    assertTrue(e.getMessage().contains("encoder_embed_dim 256 > 128"), e.getMessage());
  }

  static void assertClose(NDArray a, NDArray b, float tol) {
    assertEquals(a.getShape(), b.getShape());
    float d = a.sub(b).abs().max().getFloat();
    assertTrue(d <= tol, "max abs diff " + d + " > " + tol);
  }
}
