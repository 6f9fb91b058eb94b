package io.hatflow.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import io.hatflow.model.transformer.Threads;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Autograd through the sliced SuperTransformer against central finite differences of the
 * label-smoothed loss, for weights a SubTransformer reads through slices (the embedding shared with
 * the output projection, the ende key projection reading a narrower encoder, attention input, FFN,
 * layer norm gain).
 */
class GradientCheckTest {
  static final SearchSpace TINY = SearchSpace.preset("tiny");
  static final int V = 24;

  @BeforeAll
  static void oneThread() {
    Threads.useIntraOp(1);
  }

  static Batch batch(long seed) {
    Random r = new Random(seed);
    List<int[]> s = new ArrayList<>();
    List<int[]> t = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      s.add(r.ints(3 + i, SpecialTokens.COUNT, V).toArray());
      t.add(r.ints(4 - i, SpecialTokens.COUNT, V).toArray());
    }
    return Batch.of(s, t);
  }

  static double loss(SuperTransformer m, SubConfig c, Batch b, NDManager sm) {
    Threads.gradMode(false);
    NDArray logits = m.forward(c, b.srcArray(sm), b.prevArray(sm), false);
    return Loss.labelSmoothed(logits, b.targetArray(sm), 0.1)[0].getFloat();
  }

  @Test
  void slicedGradientsMatchFiniteDifferences() {
    SubConfig mixed =
        new SubConfig(
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
    for (SubConfig c : List.of(TINY.smallest(), mixed)) {
      try (NDManager m = NDManager.newBaseManager()) {
        SuperTransformer t =
            SuperTransformer.create(m, TINY.largest(), TINY.qkvDim(), V, Dropouts.NONE, 5);
        for (NDArray w : t.weights().all().values()) {
          w.setRequiresGradient(true);
        }
        Batch b = batch(3);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray logits = t.forward(c, b.srcArray(m), b.prevArray(m), false);
          gc.backward(Loss.labelSmoothed(logits, b.targetArray(m), 0.1)[0]);
        }
        Threads.gradMode(false);
        for (String name :
            List.of("embed", "dec.0.ende.k_w", "enc.0.self.in_w", "dec.0.fc1.w", "enc.1.ln1.g")) {
          NDArray w = t.weights().get(name);
          float[] g = w.getGradient().toFloatArray();
          float[] x = w.toFloatArray();
          // the two largest-gradient elements, and one element outside the slice that must have
          // zero gradient
          int best = 0;
          for (int i = 1; i < g.length; i++) {
            if (Math.abs(g[i]) > Math.abs(g[best])) {
              best = i;
            }
          }
          double h = 1e-2;
          double[] fd = new double[1];
          try (NDManager sm = m.newSubManager()) {
            float x0 = x[best];
            x[best] = (float) (x0 + h);
            w.set(x);
            double up = loss(t, c, b, sm);
            x[best] = (float) (x0 - h);
            w.set(x);
            double down = loss(t, c, b, sm);
            x[best] = x0;
            w.set(x);
            fd[0] = (up - down) / (2 * h);
          }
          double rel = Math.abs(fd[0] - g[best]) / Math.max(1e-3, Math.abs(g[best]));
          assertTrue(Math.abs(g[best]) > 1e-3, name + ": no gradient");
          assertTrue(
              rel < 0.05,
              name + " of " + c.key() + ": autograd " + g[best] + " vs finite difference " + fd[0]);
        }
        // a weight column outside the active encoder dim gets exactly zero gradient
        int cols = (int) t.weights().get("enc.0.self.in_w").getShape().get(1);
        float[] g = t.weights().get("enc.0.self.in_w").getGradient().toFloatArray();
        if (c.encoderEmbedDim() < cols) {
          assertEquals(0f, g[cols - 1]);
        }
        t.close();
      }
    }
  }
}
