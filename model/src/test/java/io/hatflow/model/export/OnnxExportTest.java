package io.hatflow.model.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.text.Vocabulary;
import io.hatflow.model.extract.SubTransformerModel;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxExportTest {
  static final SearchSpace TINY = SearchSpace.preset("tiny");

  /**
   * Heterogeneous, so every slice matters: encoder narrower than the decoder (embedding columns and
   * position channels sliced differently), per-layer FFN widths and head counts, 2 of 3 decoder
   * layers, decoder layers attending to the last 2 and 3 encoder layers.
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

  static Vocabulary vocab;
  static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  @BeforeAll
  static void setUp() {
    io.hatflow.model.transformer.Threads.useIntraOp(1);
    Map<String, Long> counts = new HashMap<>();
    for (String s :
        List.of(
            "a small dog runs", "two dogs play in the snow", "ein kleiner hund rennt im schnee")) {
      Vocabulary.countWords(s, counts);
    }
    vocab = Vocabulary.learn(counts, 60);
  }

  /** A SubTransformer directory with its vocabulary in {@code vocab/}. */
  static Path subTransformer(SuperTransformer sup, Path tmp) throws IOException {
    Path dir = tmp.resolve("sub");
    SubTransformerModel.write(sup, CONFIG, "digest123", dir);
    vocab.save(dir.resolve("vocab"));
    return dir;
  }

  @Test
  void onnxRuntimeMatchesDjlOnEncoderAndDecoderSteps(@TempDir Path tmp) throws Exception {
    try (NDManager nd = NDManager.newBaseManager();
        SuperTransformer sup =
            SuperTransformer.create(
                nd, TINY.largest(), TINY.qkvDim(), vocab.size(), Dropouts.DEFAULT, 7)) {
      Path out = tmp.resolve("export");
      OnnxExport.write(subTransformer(sup, tmp), out, false);
      for (String f :
          List.of(
              OnnxExport.ENCODER,
              OnnxExport.DECODER,
              OnnxExport.META,
              Vocabulary.VOCAB_FILE,
              Vocabulary.MERGES_FILE)) {
        assertTrue(Files.isRegularFile(out.resolve(f)), f);
      }
      assertFalse(Files.exists(out.resolve(OnnxExport.ENCODER_INT8)));
      JsonNode meta = new ObjectMapper().readTree(out.resolve(OnnxExport.META).toFile());
      assertEquals(CONFIG.key(), meta.get("config_key").asText());
      assertEquals(17, meta.get("opset").asInt());
      assertEquals(2, meta.get("special_tokens").get("eos").asInt());
      assertEquals("digest123", meta.get("source_checkpoint").asText());
      assertEquals("src_tokens", meta.get("encoder").get("inputs").get(0).get("name").asText());

      // two sources, the second right-padded: DJL on the SuperTransformer sliced to CONFIG is the
      // reference
      long[] src = {5, 9, 12, 7, 17, 2, 8, 6, 19, 2, 1, 1};
      assertTrue(vocab.size() > 20, "vocabulary of " + vocab.size());
      int b = 2;
      int s = 6;
      SuperTransformer.Encoded enc = sup.encode(CONFIG, nd.create(src, new Shape(b, s)), false);
      SuperTransformer.DecoderState st = sup.startDecoding(CONFIG, enc);
      float[] djlEnc = enc.layers().get(enc.layers().size() - 1).toFloatArray();

      try (OrtSession e = ENV.createSession(out.resolve(OnnxExport.ENCODER).toString());
          OrtSession d = ENV.createSession(out.resolve(OnnxExport.DECODER).toString());
          OnnxTensor srcT = OnnxTensor.createTensor(ENV, LongBuffer.wrap(src), new long[] {b, s});
          OrtSession.Result er = e.run(Map.of("src_tokens", srcT))) {
        float encDiff = maxDiff(djlEnc, floats(er, "encoder_out"));
        assertTrue(encDiff <= 1e-4f, "encoder_out max abs diff " + encDiff);
        boolean[][] pad = (boolean[][]) er.get("encoder_padding_mask").get().getValue();
        assertFalse(pad[0][5]);
        assertTrue(pad[1][4] && pad[1][5] && !pad[1][3]);

        // teacher-forced steps with the caches fed back
        long[][] prev = {{2, 2}, {7, 11}, {9, 9}, {13, 18}, {5, 2}};
        List<OnnxTensor> owned = new ArrayList<>();
        Map<String, OnnxTensor> caches = new HashMap<>();
        for (int i = 0; i < CONFIG.decoderLayerNum(); i++) {
          int h = CONFIG.decoderSelfAttentionHeads().get(i);
          for (String kv : List.of("cache_k_", "cache_v_")) {
            OnnxTensor t =
                OnnxTensor.createTensor(
                    ENV, FloatBuffer.allocate(0), new long[] {b, h, 0, 128 / h});
            owned.add(t);
            caches.put(kv + i, t);
          }
        }
        OrtSession.Result previous = null;
        float worst = 0;
        for (long[] p : prev) {
          float[] djl = sup.step(st, nd.create(p)).logSoftmax(-1).toFloatArray();
          Map<String, OnnxTensor> in = new HashMap<>(caches);
          OnnxTensor tok = OnnxTensor.createTensor(ENV, LongBuffer.wrap(p), new long[] {b});
          owned.add(tok);
          in.put("prev_tokens", tok);
          in.put("encoder_padding_mask", (OnnxTensor) er.get("encoder_padding_mask").get());
          for (int i = 0; i < CONFIG.decoderLayerNum(); i++) {
            in.put("cross_k_" + i, (OnnxTensor) er.get("cross_k_" + i).get());
            in.put("cross_v_" + i, (OnnxTensor) er.get("cross_v_" + i).get());
          }
          OrtSession.Result r = d.run(in);
          float[] ort = floats(r, "log_probs");
          assertEquals(djl.length, ort.length);
          worst = Math.max(worst, maxDiff(djl, ort));
          for (int i = 0; i < CONFIG.decoderLayerNum(); i++) {
            caches.put("cache_k_" + i, (OnnxTensor) r.get("new_cache_k_" + i).get());
            caches.put("cache_v_" + i, (OnnxTensor) r.get("new_cache_v_" + i).get());
          }
          if (previous != null) {
            previous.close();
          }
          previous = r;
        }
        long[] shape = caches.get("cache_k_1").getInfo().getShape();
        assertArrayEquals(new long[] {b, 4, prev.length, 32}, shape);
        previous.close();
        owned.forEach(OnnxTensor::close);
        assertTrue(worst <= 1e-4f, "decoder log_probs max abs diff " + worst);
        System.out.printf(
            "onnx fp32 vs djl: encoder_out max abs diff %.3g, decoder log_probs %.3g%n",
            encDiff, worst);
      }
      pythonCheck(out.resolve(OnnxExport.ENCODER), out.resolve(OnnxExport.DECODER));
    }
  }

  @Test
  void int8ModelsUseIntegerMatMulsAndPassTheChecker(@TempDir Path tmp) throws Exception {
    try (NDManager nd = NDManager.newBaseManager();
        SuperTransformer sup =
            SuperTransformer.create(
                nd, TINY.largest(), TINY.qkvDim(), vocab.size(), Dropouts.DEFAULT, 7)) {
      Path out = tmp.resolve("export");
      OnnxExport.write(subTransformer(sup, tmp), out, true);
      JsonNode files =
          new ObjectMapper().readTree(out.resolve(OnnxExport.META).toFile()).get("files");
      assertEquals(OnnxExport.ENCODER, files.get("fp32").get("encoder").asText());
      assertEquals(OnnxExport.DECODER_INT8, files.get("int8").get("decoder_step").asText());
      for (String f : List.of(OnnxExport.ENCODER_INT8, OnnxExport.DECODER_INT8)) {
        byte[] bytes = Files.readAllBytes(out.resolve(f));
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("MatMulInteger") && text.contains("DynamicQuantizeLinear"), f);
        try (OrtSession s = ENV.createSession(out.resolve(f).toString())) {
          assertFalse(s.getInputNames().isEmpty());
        }
      }
      pythonCheck(out.resolve(OnnxExport.ENCODER_INT8), out.resolve(OnnxExport.DECODER_INT8));
    }
  }

  @Test
  void int8ThatOnnxRuntimeCannotRunIsAnErrorButFp32IsWritten(@TempDir Path tmp) throws Exception {
    try (NDManager nd = NDManager.newBaseManager();
        SuperTransformer sup =
            SuperTransformer.create(
                nd, TINY.smallest(), TINY.qkvDim(), vocab.size(), Dropouts.NONE, 7)) {
      Path out = tmp.resolve("export");
      OnnxExport.ModelCheck noInt8 =
          f -> {
            if (f.getFileName().toString().contains("int8")) {
              throw new IllegalStateException("no MatMulInteger kernel (simulated)");
            }
            OnnxExport.loadsInOnnxRuntime(f);
          };
      var e =
          assertThrows(
              IllegalStateException.class,
              () -> OnnxExport.write(sup, TINY.smallest(), "d", null, out, true, false, noInt8));
      assertTrue(
          e.getMessage().contains(out.resolve(OnnxExport.ENCODER_INT8).toString())
              && e.getMessage().contains("simulated")
              && e.getMessage().contains("fp32 export is written"),
          e.getMessage());
      assertTrue(Files.isRegularFile(out.resolve(OnnxExport.DECODER)));
      assertFalse(
          Files.exists(out.resolve(OnnxExport.ENCODER_INT8))
              || Files.exists(out.resolve(OnnxExport.DECODER_INT8)));
      JsonNode files =
          new ObjectMapper().readTree(out.resolve(OnnxExport.META).toFile()).get("files");
      assertTrue(files.has("fp32") && !files.has("int8"), files.toString());
      // an fp32 model that cannot run: nothing is written
      Path none = tmp.resolve("none");
      e =
          assertThrows(
              IllegalStateException.class,
              () ->
                  OnnxExport.write(
                      sup,
                      TINY.smallest(),
                      "d",
                      null,
                      none,
                      false,
                      false,
                      f -> {
                        throw new IllegalStateException("broken");
                      }));
      assertTrue(
          e.getMessage().contains(none.resolve(OnnxExport.ENCODER).toString()), e.getMessage());
      assertFalse(Files.exists(none));
    }
  }

  @Test
  void badInputIsRefusedNamingTheFile(@TempDir Path tmp) throws Exception {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> OnnxExport.write(tmp, tmp.resolve("x"), false));
    assertTrue(e.getMessage().contains("lacks subtransformer.yml"), e.getMessage());
    try (NDManager nd = NDManager.newBaseManager();
        SuperTransformer sup =
            SuperTransformer.create(
                nd, TINY.largest(), TINY.qkvDim(), vocab.size() + 1, Dropouts.DEFAULT, 7)) {
      Path dir = subTransformer(sup, tmp);
      e =
          assertThrows(
              IllegalArgumentException.class, () -> OnnxExport.write(dir, tmp.resolve("x"), false));
      assertTrue(
          e.getMessage().contains(dir.resolve("vocab").toString())
              && e.getMessage().contains("vocabulary size"),
          e.getMessage());
      assertFalse(Files.exists(tmp.resolve("x")));
      Files.delete(dir.resolve("vocab").resolve(Vocabulary.VOCAB_FILE));
      Files.delete(dir.resolve("vocab").resolve(Vocabulary.MERGES_FILE));
      Files.createDirectories(tmp.resolve("taken"));
      Files.writeString(tmp.resolve("taken").resolve("keep"), "x");
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> OnnxExport.write(dir, tmp.resolve("taken"), false));
      assertTrue(e.getMessage().contains("already exists"), e.getMessage());
      OnnxExport.write(dir, tmp.resolve("taken"), false, true);
      assertFalse(Files.exists(tmp.resolve("taken").resolve("keep")));
      assertTrue(Files.isRegularFile(tmp.resolve("taken").resolve(OnnxExport.DECODER)));
      try (var files = Files.list(tmp)) {
        assertTrue(
            files.noneMatch(p -> p.getFileName().toString().contains(".tmp")),
            "temporary directory left");
      }
    }
  }

  static float[] floats(OrtSession.Result r, String name) {
    FloatBuffer fb = ((OnnxTensor) r.get(name).orElseThrow()).getFloatBuffer();
    float[] out = new float[fb.remaining()];
    fb.get(out);
    return out;
  }

  static float maxDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    float m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  /**
   * The Python {@code onnx} checker with full_check (strict shape inference), when some python3 has
   * onnx.
   */
  static void pythonCheck(Path... models) throws Exception {
    String python = null;
    for (String p : List.of("python3", "/usr/bin/python3")) {
      if (run(List.of(p, "-c", "import onnx")) == 0) {
        python = p;
        break;
      }
    }
    Assumptions.assumeTrue(python != null, "no python3 with the onnx package: checker skipped");
    for (Path m : models) {
      List<String> cmd =
          List.of(
              python,
              "-c",
              "import onnx, sys; onnx.checker.check_model(sys.argv[1], full_check=True); print('ok', onnx.__version__)",
              m.toString());
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(120, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), "onnx.checker on " + m + ":\n" + text);
      System.out.print("onnx.checker " + m.getFileName() + ": " + text);
    }
  }

  private static int run(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }
}
