package io.hatflow.model.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.decode.DecoderEngine;
import io.hatflow.model.decode.DjlEngine;
import io.hatflow.model.decode.OnnxTranslator;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import io.hatflow.model.transformer.WeightNames;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Primer's genes in the ONNX export: ONNX Runtime matches DJL step by step, through a beam reorder.
 */
class PrimerOnnxExportTest {
  static final SearchSpace PRIMER = SearchSpace.preset("tiny-primer");
  static final int V = 40;

  /**
   * Every activation, the convolution on some encoder and decoder layers, 3 decoder layers (history
   * per layer).
   */
  static final SubConfig CONFIG =
      new SubConfig(
          96,
          3,
          List.of(512, 128, 256),
          List.of(4, 2, 4),
          128,
          3,
          List.of(256, 512, 128),
          List.of(2, 4, 2),
          List.of(4, 2, 2),
          List.of(1, 2, -1),
          List.of(1, 2, 0),
          List.of(3, 0, 3),
          List.of(2, 1, 0),
          List.of(3, 0, 3));

  @Test
  void onnxRuntimeMatchesDjlWithActivationsAndConvolutions(@TempDir Path tmp) throws Exception {
    io.hatflow.model.transformer.Threads.useIntraOp(1);
    try (NDManager nd = NDManager.newBaseManager();
        SuperTransformer sup =
            SuperTransformer.create(nd, PRIMER.largest(), PRIMER.qkvDim(), V, Dropouts.NONE, 7)) {
      Random r = new Random(1);
      for (var e :
          sup.weights().all().entrySet()) { // identity kernels would hide a wrong convolution
        if (e.getKey().endsWith(WeightNames.SELF_DCONV)) {
          float[] k = new float[(int) e.getValue().size()];
          for (int i = 0; i < k.length; i++) {
            k[i] = (float) r.nextGaussian() * 0.5f;
          }
          e.getValue().set(k);
        }
      }
      Path out = tmp.resolve("export");
      OnnxExport.write(sup, CONFIG, "d", null, out, true, false);
      String text =
          new String(
              Files.readAllBytes(out.resolve(OnnxExport.DECODER)), StandardCharsets.ISO_8859_1);
      assertTrue(
          text.contains("Conv") && text.contains("Erf") && text.contains("conv_in_2"),
          "ops and inputs");
      long[] src = {5, 9, 12, 7, 17, 8, 2};
      long[][] prev = {{2}, {7}, {9, 9}, {13, 18}, {5, 21}, {30, 3}};
      float worst = 0;
      try (OnnxTranslator ort = OnnxTranslator.open(out);
          DecoderEngine.Decoding o = ort.start(src);
          DecoderEngine.Decoding d = new DjlEngine(sup, CONFIG).start(src)) {
        for (int t = 0; t < prev.length; t++) {
          if (t
              == 2) { // one hypothesis becomes two: every cache and convolution history is gathered
            o.reorder(new long[] {0, 0});
            d.reorder(new long[] {0, 0});
          }
          if (t == 4) {
            o.reorder(new long[] {1, 0});
            d.reorder(new long[] {1, 0});
          }
          float[] a = d.step(prev[t]);
          float[] b = o.step(prev[t]);
          assertEquals(a.length, b.length);
          for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
          }
        }
      }
      assertTrue(worst <= 1e-4f, "log_probs max abs diff " + worst);
      System.out.printf("primer onnx fp32 vs djl: log_probs max abs diff %.3g%n", worst);
      try (OnnxTranslator int8 = OnnxTranslator.open(out, true, 1);
          DecoderEngine.Decoding o = int8.start(src)) {
        assertEquals(V, o.step(prev[0]).length);
      }
    }
  }
}
