package io.hatflow.model.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.core.text.Vocabulary;
import io.hatflow.model.export.OnnxExport;
import io.hatflow.model.extract.SubTransformerModel;
import io.hatflow.model.latency.EngineLatencySubject;
import io.hatflow.model.latency.LatencyProtocol;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxTranslatorTest {
  static final SearchSpace TINY = SearchSpace.preset("tiny");

  /**
   * Heterogeneous layers (see OnnxExportTest), so a wrong slice would change the search's choices.
   */
  static final SubConfig CONFIG =
      new SubConfig(
          96,
          3,
          List.of(512, 128, 256),
          List.of(4, 2, 4),
          128,
          2,
          List.of(256, 512, 128),
          List.of(2, 4, 2),
          List.of(4, 2, 2),
          List.of(1, 2, -1));

  static final List<String> SENTENCES =
      List.of(
          "a small dog runs",
          "two dogs play in the snow",
          "ein kleiner hund rennt im schnee",
          "the dog",
          "zwei hunde spielen",
          "a dog runs in the snow");

  static Vocabulary vocab;

  @BeforeAll
  static void setUp() {
    io.hatflow.model.transformer.Threads.useIntraOp(1);
    Map<String, Long> counts = new HashMap<>();
    for (String s : SENTENCES) {
      Vocabulary.countWords(s, counts);
    }
    vocab = Vocabulary.learn(counts, 80);
  }

  static List<int[]> randomSources(int n, long seed) {
    Random r = new Random(seed);
    List<int[]> out = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      int[] s = new int[2 + r.nextInt(9)];
      for (int i = 0; i < s.length; i++) {
        s[i] = SpecialTokens.COUNT + r.nextInt(vocab.size() - SpecialTokens.COUNT);
      }
      out.add(s);
    }
    return out;
  }

  /**
   * A freshly initialised model with a tied embedding copies its input (EOS first) and stops at
   * once; random layer norm gains and biases make it produce sentences of varied length, so the
   * searches have something to compare.
   */
  static void perturbLayerNorms(SuperTransformer m, long seed) {
    Random r = new Random(seed);
    for (String name : List.copyOf(m.weights().all().keySet())) {
      if (name.contains(".ln")) {
        var w = m.weights().get(name);
        float[] v = new float[(int) w.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (name.endsWith(".g") ? 1 + 0.5 * r.nextGaussian() : r.nextGaussian());
        }
        m.weights().put(name, m.manager().create(v, w.getShape()));
        w.close();
      }
    }
  }

  @Test
  void greedyAndBeamSearchGiveDjlsTokens(@TempDir Path tmp) throws Exception {
    try (NDManager nd = NDManager.newBaseManager();
        SuperTransformer sup =
            SuperTransformer.create(
                nd, TINY.largest(), TINY.qkvDim(), vocab.size(), Dropouts.DEFAULT, 3)) {
      perturbLayerNorms(sup, 9);
      Path sub = tmp.resolve("sub");
      SubTransformerModel.write(sup, CONFIG, "d", sub);
      vocab.save(sub.resolve("vocab"));
      OnnxExport.write(sub, tmp.resolve("export"), false);
      List<int[]> sources = randomSources(12, 4);
      try (OnnxTranslator onnx = OnnxTranslator.open(tmp.resolve("export"))) {
        int tokens = 0;
        for (DecodeConfig dc :
            List.of(DecodeConfig.GREEDY, DecodeConfig.HAT_WMT, new DecodeConfig(3, 1.0, 1.5, 4))) {
          List<int[]> djl = new SequenceGenerator(sup, CONFIG, dc).generate(sources);
          List<int[]> ort = onnx.generate(sources, dc);
          for (int i = 0; i < sources.size(); i++) {
            assertArrayEquals(djl.get(i), ort.get(i), "beam " + dc.beam() + ", source " + i);
            tokens += djl.get(i).length;
          }
        }
        System.out.println("onnx vs djl search: " + tokens + " output tokens compared, all equal");
        assertTrue(tokens > 50, "too few output tokens to compare: " + tokens);
        // text in, text out, against DJL's Translator on the SubTransformer directory
        try (Translator djl = new Translator(sub, vocab, DecodeConfig.HAT_WMT, 1)) {
          assertEquals(djl.translate(SENTENCES), onnx.translate(SENTENCES, DecodeConfig.HAT_WMT));
        }
      }
    }
  }

  @Test
  void int8StepsStayCloseToDjl(@TempDir Path tmp) throws Exception {
    try (NDManager nd = NDManager.newBaseManager();
        SuperTransformer sup =
            SuperTransformer.create(
                nd, TINY.largest(), TINY.qkvDim(), vocab.size(), Dropouts.DEFAULT, 3)) {
      perturbLayerNorms(sup, 9);
      Path sub = tmp.resolve("sub");
      SubTransformerModel.write(sup, CONFIG, "d", sub);
      Path export = tmp.resolve("export");
      OnnxExport.write(sub, export, true);
      assertTrue(Files.isRegularFile(export.resolve(OnnxExport.ENCODER_INT8)));
      assertTrue(Files.isRegularFile(export.resolve(OnnxExport.DECODER_INT8)));
      assertTrue(
          Files.size(export.resolve(OnnxExport.DECODER_INT8))
              < Files.size(export.resolve(OnnxExport.DECODER)));
      List<int[]> sources = randomSources(12, 5);
      List<int[]> greedy =
          new SequenceGenerator(sup, CONFIG, DecodeConfig.GREEDY).generate(sources);
      DjlEngine djl = new DjlEngine(sup, CONFIG);
      try (OnnxTranslator fp32 = OnnxTranslator.open(export);
          OnnxTranslator int8 = OnnxTranslator.open(export, true, 1)) {
        int steps = 0;
        int top1 = 0;
        float fp32Max = 0;
        float int8Max = 0;
        double int8Sum = 0;
        for (int n = 0; n < sources.size(); n++) {
          long[] src = new long[sources.get(n).length + 1];
          for (int i = 0; i < src.length - 1; i++) {
            src[i] = sources.get(n)[i];
          }
          src[src.length - 1] = SpecialTokens.EOS;
          // teacher-forced along DJL's greedy output, EOS first
          long[] prev = new long[greedy.get(n).length + 1];
          prev[0] = SpecialTokens.EOS;
          for (int i = 1; i < prev.length; i++) {
            prev[i] = greedy.get(n)[i - 1];
          }
          try (DecoderEngine.Decoding a = djl.start(src);
              DecoderEngine.Decoding b = fp32.start(src);
              DecoderEngine.Decoding c = int8.start(src)) {
            for (long p : prev) {
              float[] ref = a.step(new long[] {p});
              float[] f = b.step(new long[] {p});
              float[] q = c.step(new long[] {p});
              for (int v = 0; v < ref.length; v++) {
                fp32Max = Math.max(fp32Max, Math.abs(ref[v] - f[v]));
                int8Max = Math.max(int8Max, Math.abs(ref[v] - q[v]));
                int8Sum += Math.abs(ref[v] - q[v]);
              }
              top1 += argmax(ref) == argmax(q) ? 1 : 0;
              steps++;
            }
          }
        }
        double rate = (double) top1 / steps;
        System.out.printf(
            "onnx vs djl over %d steps: fp32 max abs diff %.3g; int8 max %.3g, mean %.3g, top-1 "
                + "agreement %.3f%n",
            steps, fp32Max, int8Max, int8Sum / steps / vocab.size(), rate);
        assertTrue(steps > 40, "steps " + steps);
        assertTrue(fp32Max <= 1e-4f, "fp32 log_probs max abs diff " + fp32Max);
        assertTrue(rate >= 0.9, "int8 top-1 agreement " + rate);
        assertTrue(int8Max > 0, "int8 models identical to fp32: not quantized?");
      }
    }
  }

  @Test
  void latencyProtocolRunsOnBothExports(@TempDir Path tmp) throws Exception {
    try (NDManager nd = NDManager.newBaseManager();
        SuperTransformer sup =
            SuperTransformer.create(nd, TINY.smallest(), TINY.qkvDim(), 30, Dropouts.NONE, 3)) {
      Path sub = tmp.resolve("sub");
      SubTransformerModel.write(sup, TINY.smallest(), "d", sub);
      OnnxExport.write(sub, tmp.resolve("export"), true);
      LatencyProtocol p = new LatencyProtocol(6, 3, 1, 3, 0);
      for (boolean int8 : new boolean[] {false, true}) {
        try (OnnxTranslator t = OnnxTranslator.open(tmp.resolve("export"), int8, 1);
            EngineLatencySubject s = new EngineLatencySubject(t, p)) {
          LatencyProtocol.Stats st = p.measure(s, System::nanoTime);
          assertTrue(st.meanEncoderMs() > 0 && st.meanDecoderMs() > 0, st.toString());
          assertEquals(3, st.kept());
        }
      }
    }
  }

  private static int argmax(float[] lp) {
    int best = -1;
    for (int v = 0; v < lp.length; v++) {
      if (v != SpecialTokens.PAD && v != SpecialTokens.BOS && (best < 0 || lp[v] > lp[best])) {
        best = v;
      }
    }
    return best;
  }

  @Test
  void badExportsAreRefusedNamingTheFile(@TempDir Path tmp) throws Exception {
    var e = assertThrows(IllegalArgumentException.class, () -> OnnxTranslator.open(tmp));
    assertTrue(e.getMessage().contains("lacks export.json"), e.getMessage());
    try (NDManager nd = NDManager.newBaseManager();
        SuperTransformer sup =
            SuperTransformer.create(nd, TINY.smallest(), TINY.qkvDim(), 30, Dropouts.NONE, 3)) {
      Path sub = tmp.resolve("sub");
      SubTransformerModel.write(sup, TINY.smallest(), "d", sub);
      Path export = tmp.resolve("export");
      OnnxExport.write(sub, export, false);
      e = assertThrows(IllegalArgumentException.class, () -> OnnxTranslator.open(export, true, 1));
      assertTrue(e.getMessage().contains("no int8 models"), e.getMessage());
      try (OnnxTranslator t = OnnxTranslator.open(export)) {
        var noVocab =
            assertThrows(
                IllegalStateException.class, () -> t.translate(List.of("a"), DecodeConfig.GREEDY));
        assertTrue(noVocab.getMessage().contains("no vocabulary"), noVocab.getMessage());
      }
      Files.write(export.resolve(OnnxExport.DECODER), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
      e = assertThrows(IllegalArgumentException.class, () -> OnnxTranslator.open(export));
      assertTrue(
          e.getMessage().contains(export.resolve(OnnxExport.DECODER).toString()), e.getMessage());
    }
  }
}
