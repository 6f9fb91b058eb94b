package io.hatflow.model.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.core.text.Vocabulary;
import io.hatflow.model.extract.SubTransformerModel;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SequenceGeneratorTest {
  @org.junit.jupiter.api.BeforeAll
  static void oneThread() {
    // small models on a shared machine: one intra-op thread avoids OpenMP oversubscription stalls
    io.hatflow.model.transformer.Threads.useIntraOp(1);
  }

  static final SearchSpace TINY = SearchSpace.preset("tiny");
  static final int V = 24;

  /** log P(ids + EOS | src) under a full teacher-forced forward. */
  static double score(SuperTransformer m, SubConfig c, NDManager nd, int[] src, int[] out) {
    long[] s = new long[src.length + 1];
    for (int i = 0; i < src.length; i++) {
      s[i] = src[i];
    }
    s[src.length] = SpecialTokens.EOS;
    long[] prev = new long[out.length + 1];
    prev[0] = SpecialTokens.EOS;
    for (int i = 0; i < out.length; i++) {
      prev[i + 1] = out[i];
    }
    float[] lp =
        m.forward(
                c,
                nd.create(s, new Shape(1, s.length)),
                nd.create(prev, new Shape(1, prev.length)),
                false)
            .logSoftmax(-1)
            .toFloatArray();
    double sum = 0;
    for (int t = 0; t <= out.length; t++) {
      int tok = t < out.length ? out[t] : SpecialTokens.EOS;
      sum += lp[t * V + tok];
    }
    return sum;
  }

  @Test
  void greedyFollowsTheArgmaxAndBeamFindsAtLeastAsLikelyOutputs() {
    try (NDManager nd = NDManager.newBaseManager();
        SuperTransformer m =
            SuperTransformer.create(nd, TINY.largest(), TINY.qkvDim(), V, Dropouts.DEFAULT, 5)) {
      SubConfig c = TINY.sample(new Random(2));
      Random r = new Random(3);
      int better = 0;
      for (int n = 0; n < 3; n++) {
        int[] src = new int[3 + r.nextInt(5)];
        for (int i = 0; i < src.length; i++) {
          src[i] = SpecialTokens.COUNT + r.nextInt(V - SpecialTokens.COUNT);
        }
        int[] greedy =
            new SequenceGenerator(m, c, new DecodeConfig(1, 0, 1.0, 5))
                .generate(List.of(src))
                .get(0);
        // greedy's choice at every step is the argmax of the full forward (PAD/BOS excluded)
        long[] prev = new long[greedy.length + 1];
        prev[0] = SpecialTokens.EOS;
        for (int i = 0; i < greedy.length; i++) {
          prev[i + 1] = greedy[i];
        }
        long[] s = new long[src.length + 1];
        for (int i = 0; i < src.length; i++) {
          s[i] = src[i];
        }
        s[src.length] = SpecialTokens.EOS;
        NDArray logits =
            m.forward(
                c,
                nd.create(s, new Shape(1, s.length)),
                nd.create(prev, new Shape(1, prev.length)),
                false);
        for (int t = 0; t < greedy.length; t++) {
          float[] row = logits.get("0, " + t + ", :").toFloatArray();
          row[SpecialTokens.PAD] = Float.NEGATIVE_INFINITY;
          row[SpecialTokens.BOS] = Float.NEGATIVE_INFINITY;
          int arg = 0;
          for (int v = 1; v < V; v++) {
            if (row[v] > row[arg]) {
              arg = v;
            }
          }
          assertEquals(arg, greedy[t]);
        }
        assertTrue(greedy.length <= src.length + 5);
        // beam search without length normalisation maximises the sequence log-probability: never
        // worse than greedy
        int[] beam =
            new SequenceGenerator(m, c, new DecodeConfig(4, 0, 1.0, 5))
                .generate(List.of(src))
                .get(0);
        double sb = score(m, c, nd, src, beam);
        double sg = score(m, c, nd, src, greedy);
        assertTrue(sb >= sg - 1e-4, "beam " + sb + " < greedy " + sg);
        if (sb > sg + 1e-4) {
          better++;
        }
      }
      assertTrue(better >= 0);
    }
  }

  @Test
  void translatorRoundTripsThroughAnExtractedModel(@TempDir Path tmp) {
    Map<String, Long> counts = new HashMap<>();
    for (String s :
        List.of("a small dog runs", "two dogs play in the snow", "ein kleiner hund rennt")) {
      Vocabulary.countWords(s, counts);
    }
    Vocabulary vocab = Vocabulary.learn(counts, 60);
    try (NDManager nd = NDManager.newBaseManager();
        SuperTransformer m =
            SuperTransformer.create(
                nd, TINY.largest(), TINY.qkvDim(), vocab.size(), Dropouts.DEFAULT, 5)) {
      SubTransformerModel.write(m, TINY.smallest(), null, tmp.resolve("model"));
      try (Translator t = new Translator(tmp.resolve("model"), vocab, DecodeConfig.HAT_WMT, 1)) {
        List<String> out = t.translate(List.of("a small dog runs", "two dogs"));
        assertEquals(2, out.size());
        assertEquals(out, t.translate(List.of("a small dog runs", "two dogs")));
      }
    }
  }
}
