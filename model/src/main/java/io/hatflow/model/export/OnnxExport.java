package io.hatflow.model.export;

import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.model.extract.SubTransformerModel;
import io.hatflow.model.text.VocabularyFiles;
import io.hatflow.model.transformer.SuperTransformer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Exports a SubTransformer to ONNX (opset {@value OnnxGraph#OPSET}, standard operators only,
 * weights as initializers) for ONNX Runtime. An export directory holds:
 *
 * <ul>
 *   <li>{@value #ENCODER} and {@value #DECODER}: the encoder and the incremental decoder step
 *       (inputs, outputs, cache layout: {@link TransformerOnnx}),
 *   <li>with int8, also {@value #ENCODER_INT8} and {@value #DECODER_INT8} (same inputs and outputs,
 *       dynamically quantized Linears) beside the fp32 pair, so one directory serves both engines,
 *   <li>the vocabulary files, when the SubTransformer directory (or its {@code vocab/}) has them,
 *   <li>{@value #META}: inputs, outputs, special token ids, dims, opset, the config and its key.
 * </ul>
 *
 * Every model is loaded by ONNX Runtime before the directory is renamed into place (a temporary
 * sibling until then): never half-written. An int8 pair ONNX Runtime cannot run on this CPU is left
 * out, the fp32 export is written, and then the error is thrown.
 */
public final class OnnxExport {
  public static final String ENCODER = "encoder.onnx";
  public static final String DECODER = "decoder_step.onnx";
  public static final String ENCODER_INT8 = "encoder.int8.onnx";
  public static final String DECODER_INT8 = "decoder_step.int8.onnx";
  public static final String META = "export.json";
  public static final int FORMAT_VERSION = 1;

  private OnnxExport() {}

  /**
   * Exports the SubTransformer directory {@code subTransformerDir}; refuses an existing {@code
   * outDir}.
   */
  public static void write(Path subTransformerDir, Path outDir, boolean int8) {
    write(subTransformerDir, outDir, int8, false);
  }

  /** As {@link #write(Path, Path, boolean)}; {@code force} replaces an existing {@code outDir}. */
  public static void write(Path subTransformerDir, Path outDir, boolean int8, boolean force) {
    write(subTransformerDir, null, outDir, int8, force);
  }

  /**
   * As {@link #write(Path, Path, boolean, boolean)} with the vocabulary taken from {@code vocabDir}
   * (null: the model directory's own {@code vocab/} or vocabulary files, if any).
   */
  public static void write(
      Path subTransformerDir, Path vocabDir, Path outDir, boolean int8, boolean force) {
    Properties props = new Properties();
    Path propsFile = subTransformerDir.resolve(SubTransformerModel.PROPS);
    try (NDManager m = NDManager.newBaseManager();
        SubTransformerModel.Loaded l = SubTransformerModel.load(subTransformerDir, m)) {
      try (InputStream in = Files.newInputStream(propsFile)) {
        props.load(in);
      }
      Path vocab =
          vocabDir != null
              ? vocabDir
              : Files.isDirectory(subTransformerDir.resolve("vocab"))
                  ? subTransformerDir.resolve("vocab")
                  : subTransformerDir;
      write(
          l.model(),
          l.config(),
          props.getProperty("sourceCheckpoint", ""),
          VocabularyFiles.isVocabularyDir(vocab) ? vocab : null,
          outDir,
          int8,
          force);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + propsFile, e);
    }
  }

  /**
   * Exports {@code config} of {@code model} (a SuperTransformer with inherited weights or an
   * extracted SubTransformer). {@code vocabDir} (nullable) is copied beside the models after
   * checking its size.
   */
  public static void write(
      SuperTransformer model,
      SubConfig config,
      String sourceCheckpoint,
      Path vocabDir,
      Path outDir,
      boolean int8,
      boolean force) {
    write(
        model,
        config,
        sourceCheckpoint,
        vocabDir,
        outDir,
        int8,
        force,
        OnnxExport::loadsInOnnxRuntime);
  }

  /** Checks one written model file; throws with a message when it cannot be served. */
  interface ModelCheck {
    void check(Path file) throws Exception;
  }

  /**
   * ONNX Runtime's session creation resolves every node to a kernel for this CPU: a model it cannot
   * run fails here, at export, rather than at the first translation.
   */
  static void loadsInOnnxRuntime(Path file) throws OrtException {
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        OrtSession s = OrtEnvironment.getEnvironment().createSession(file.toString(), o)) {
      s.getInputNames();
    }
  }

  static void write(
      SuperTransformer model,
      SubConfig config,
      String sourceCheckpoint,
      Path vocabDir,
      Path outDir,
      boolean int8,
      boolean force,
      ModelCheck check) {
    SubConfig c = config.active();
    model.check(c);
    if (Files.exists(outDir) && !force) {
      throw new UserInputException(
          "export directory " + outDir + " already exists (force to replace it)");
    }
    VocabularyFiles vocab = null;
    if (vocabDir != null) {
      try {
        vocab = VocabularyFiles.read(vocabDir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the vocabulary in " + vocabDir, e);
      }
      if (vocab.size() != model.vocabSize()) {
        throw new UserInputException(
            "vocabulary "
                + vocabDir
                + " has "
                + vocab.size()
                + " ids but the model's vocabulary size is "
                + model.vocabSize());
      }
    }
    Path tmp = null;
    try {
      Path parent = outDir.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      tmp = Files.createTempDirectory(parent, "." + outDir.getFileName() + ".tmp");
      ObjectNode meta = meta(model, c, sourceCheckpoint);
      List<Boolean> variants = int8 ? List.of(false, true) : List.of(false);
      ObjectNode files = meta.putObject("files");
      String int8Failure = null;
      for (boolean q : variants) {
        TransformerOnnx t = new TransformerOnnx(model, c, q);
        OnnxGraph enc = t.encoder();
        OnnxGraph dec = t.decoderStep();
        String encName = q ? ENCODER_INT8 : ENCODER;
        String decName = q ? DECODER_INT8 : DECODER;
        writeModel(
            enc,
            tmp.resolve(encName),
            "hatflow SubTransformer encoder " + c.key() + (q ? " (int8)" : ""));
        writeModel(
            dec,
            tmp.resolve(decName),
            "hatflow SubTransformer decoder step " + c.key() + (q ? " (int8)" : ""));
        String bad = null;
        for (String name : List.of(encName, decName)) {
          try {
            check.check(tmp.resolve(name));
          } catch (Exception e) {
            bad = "ONNX Runtime cannot run " + outDir.resolve(name) + ": " + e.getMessage();
            break;
          }
        }
        if (bad != null && !q) {
          throw new IllegalStateException(bad + " (nothing written)");
        }
        if (bad != null) {
          // the rule: an int8 model this CPU cannot run is an error, but the fp32 export is
          // still written
          Files.delete(tmp.resolve(encName));
          Files.delete(tmp.resolve(decName));
          int8Failure = bad;
          continue;
        }
        ObjectNode f = files.putObject(q ? "int8" : "fp32");
        f.put("encoder", encName);
        f.put("decoder_step", decName);
        if (!q) {
          meta.set("encoder", io(enc));
          meta.set("decoder_step", io(dec));
        }
      }
      ArrayNode vf = meta.putArray("vocabulary");
      if (vocab != null) {
        for (Map.Entry<String, byte[]> e : vocab.files().entrySet()) {
          Files.write(tmp.resolve(e.getKey()), e.getValue());
          vf.add(e.getKey());
        }
      }
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(tmp.resolve(META).toFile(), meta);
      if (Files.exists(outDir)) {
        deleteTree(outDir);
      }
      Files.move(tmp, outDir, StandardCopyOption.ATOMIC_MOVE);
      tmp = null;
      if (int8Failure != null) {
        throw new IllegalStateException(int8Failure + "; the fp32 export is written to " + outDir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the ONNX export to " + outDir, e);
    } finally {
      if (tmp != null) {
        try {
          deleteTree(tmp);
        } catch (IOException ignored) {
          // the temporary directory is hidden and named after outDir; a leftover is harmless
        }
      }
    }
  }

  private static void writeModel(OnnxGraph g, Path file, String doc) throws IOException {
    try (OutputStream o = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      g.write(
          o,
          OnnxExport.class.getPackage().getImplementationVersion() == null
              ? "dev"
              : OnnxExport.class.getPackage().getImplementationVersion(),
          doc);
    }
  }

  private static ObjectNode meta(SuperTransformer model, SubConfig c, String sourceCheckpoint) {
    ObjectNode m = new ObjectMapper().createObjectNode();
    m.put("format", "hatflow-onnx");
    m.put("format_version", FORMAT_VERSION);
    m.put("opset", OnnxGraph.OPSET);
    m.put("ir_version", OnnxGraph.IR_VERSION);
    m.put("config_key", c.key());
    m.put("source_checkpoint", sourceCheckpoint == null ? "" : sourceCheckpoint);
    ObjectNode cfg = m.putObject("config");
    for (Map.Entry<String, Object> e : c.toHatMap().entrySet()) {
      if (e.getValue() instanceof List<?> l) {
        ArrayNode a = cfg.putArray(e.getKey());
        l.forEach(
            x -> {
              if (x instanceof Integer n) {
                a.add(n);
              } else {
                a.add(x.toString()); // activation names
              }
            });
      } else {
        cfg.put(e.getKey(), (Integer) e.getValue());
      }
    }
    m.put("vocab_size", model.vocabSize());
    m.put("qkv_dim", model.qkvDim());
    m.put("encoder_embed_dim", c.encoderEmbedDim());
    m.put("decoder_embed_dim", c.decoderEmbedDim());
    m.put("encoder_layers", c.encoderLayerNum());
    m.put("decoder_layers", c.decoderLayerNum());
    m.put("max_positions", TransformerOnnx.MAX_POSITIONS);
    ObjectNode sp = m.putObject("special_tokens");
    sp.put("bos", SpecialTokens.BOS);
    sp.put("pad", SpecialTokens.PAD);
    sp.put("eos", SpecialTokens.EOS);
    sp.put("unk", SpecialTokens.UNK);
    ObjectNode notes = m.putObject("notes");
    notes.put("source", "ids end with eos; a batch is right-padded with pad");
    notes.put(
        "decoding", "starts from eos; pad and bos are never produced; a hypothesis ends at eos");
    notes.put(
        "cross_attention",
        "encoder.onnx projects each decoder layer's encoder-decoder keys/values once "
            + "(cross_k_i, cross_v_i over the last 1-3 encoder layers concatenated along time); the decoder step takes "
            + "them and encoder_padding_mask, not encoder_out");
    notes.put(
        "self_attention_cache",
        "cache_k_i/cache_v_i [batch, heads_i, past_len, head_dim_i], past_len 0 at "
            + "the first step; feed new_cache_* back as cache_*; the step's position is past_len; for beam search "
            + "reorder the cache rows between steps");
    if (c.decoderAttentionDconv().stream()
        .anyMatch(k -> k > 0)) { // only exports with Primer's convolution
      notes.put(
          "convolution_history",
          "a decoder layer i with decoder_attention_dconv 3 also takes conv_in_i "
              + "[batch, hist_len, 3 * qkv_dim] (hist_len 0 at the first step) and returns new_conv_in_i: its last "
              + "2 unconvolved q/k/v projections; feed it back and reorder its rows like the caches");
    }
    return m;
  }

  private static ObjectNode io(OnnxGraph g) {
    ObjectNode o = new ObjectMapper().createObjectNode();
    o.set("inputs", values(g.inputs()));
    o.set("outputs", values(g.outputs()));
    return o;
  }

  private static ArrayNode values(List<OnnxGraph.Value> vs) {
    ArrayNode a = new ObjectMapper().createArrayNode();
    for (OnnxGraph.Value v : vs) {
      ObjectNode n = a.addObject();
      n.put("name", v.name());
      n.put("type", OnnxGraph.typeName(v.elemType()));
      ArrayNode s = n.putArray("shape");
      for (Object d : v.dims()) {
        if (d instanceof Long l) {
          s.add(l);
        } else {
          s.add((String) d);
        }
      }
    }
    return a;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
