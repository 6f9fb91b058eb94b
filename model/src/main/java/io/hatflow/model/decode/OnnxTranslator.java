package io.hatflow.model.decode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.text.SubwordVocabulary;
import io.hatflow.model.export.OnnxExport;
import io.hatflow.model.text.VocabularyFiles;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX Runtime as a {@link DecoderEngine}: runs an {@link OnnxExport} directory's encoder and
 * decoder-step models (fp32, or the int8 pair) and searches with the same {@link SequenceGenerator}
 * as DJL. The self-attention caches returned by one step are fed to the next without copying; a
 * beam reorder gathers their rows in Java. The encoder-side keys/values are identical in every row
 * (one source per decoding), so they are only re-tiled when the row count changes. Not thread-safe:
 * one instance per thread (sessions are shareable, decodings are not).
 */
public final class OnnxTranslator implements DecoderEngine, AutoCloseable {
  private final Path dir;
  private final OrtEnvironment env;
  private final OrtSession encoder;
  private final OrtSession decoder;
  private final int vocabSize;
  private final int layers;
  private final int maxPositions;

  /**
   * Per decoder layer: self-attention heads and head dim, the cache shape [rows, heads, past_len,
   * head_dim].
   */
  private final int[] selfHeads;

  private final int[] selfHeadDim;

  /**
   * The decoder step's recurrent inputs, fed back from the outputs of the previous step: per layer
   * the self-attention caches, then per layer with Primer's causal convolution its projection
   * history; the shape each starts with (past/history length 0).
   */
  private final List<String> stateIn = new ArrayList<>();

  private final List<String> stateOut = new ArrayList<>();
  private final List<long[]> stateStart = new ArrayList<>();
  private final SubwordVocabulary vocab;

  private OnnxTranslator(Path dir, boolean int8, int threads) {
    this.dir = dir;
    Path metaFile = dir.resolve(OnnxExport.META);
    if (!Files.isRegularFile(metaFile)) {
      throw new UserInputException(
          "not an ONNX export directory: " + dir + " lacks " + OnnxExport.META);
    }
    JsonNode meta;
    try {
      meta = new ObjectMapper().readTree(metaFile.toFile());
    } catch (IOException e) {
      throw new UserInputException(metaFile + ": not valid JSON: " + e.getMessage(), e);
    }
    if (meta.path("format_version").asInt(-1) != OnnxExport.FORMAT_VERSION) {
      throw new UserInputException(
          metaFile
              + ": format_version "
              + meta.path("format_version")
              + " is not "
              + OnnxExport.FORMAT_VERSION);
    }
    this.vocabSize = required(meta, "vocab_size", metaFile);
    this.layers = required(meta, "decoder_layers", metaFile);
    this.maxPositions = required(meta, "max_positions", metaFile);
    int qkv = required(meta, "qkv_dim", metaFile);
    JsonNode heads = meta.path("config").path("decoder_self_attention_heads");
    if (!heads.isArray() || heads.size() < layers) {
      throw new UserInputException(
          metaFile + ": config.decoder_self_attention_heads missing or shorter than " + layers);
    }
    this.selfHeads = new int[layers];
    this.selfHeadDim = new int[layers];
    for (int i = 0; i < layers; i++) {
      selfHeads[i] = heads.get(i).asInt();
      if (selfHeads[i] < 1 || qkv % selfHeads[i] != 0) {
        throw new UserInputException(
            metaFile
                + ": decoder_self_attention_heads["
                + i
                + "]="
                + selfHeads[i]
                + " does not divide qkv_dim "
                + qkv);
      }
      selfHeadDim[i] = qkv / selfHeads[i];
      for (String kv : List.of("k_", "v_")) {
        stateIn.add("cache_" + kv + i);
        stateOut.add("new_cache_" + kv + i);
        stateStart.add(new long[] {1, selfHeads[i], 0, selfHeadDim[i]});
      }
    }
    JsonNode dconv = meta.path("config").path("decoder_attention_dconv");
    for (int i = 0; i < layers && dconv.isArray(); i++) {
      if (dconv.path(i).asInt() > 0) {
        stateIn.add("conv_in_" + i);
        stateOut.add("new_conv_in_" + i);
        stateStart.add(new long[] {1, 0, 3L * qkv});
      }
    }
    String variant = int8 ? "int8" : "fp32";
    JsonNode files = meta.path("files").path(variant);
    if (files.isMissingNode()) {
      throw new UserInputException(metaFile + ": the export has no " + variant + " models");
    }
    this.env = OrtEnvironment.getEnvironment();
    OrtSession enc = null;
    OrtSession dec = null;
    SubwordVocabulary v = null;
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(threads);
      o.setInterOpNumThreads(1);
      enc = session(o, dir.resolve(files.path("encoder").asText(OnnxExport.ENCODER)));
      dec = session(o, dir.resolve(files.path("decoder_step").asText(OnnxExport.DECODER)));
      if (VocabularyFiles.isVocabularyDir(dir)) {
        v = VocabularyFiles.load(dir);
        if (v.size() != vocabSize) {
          throw new UserInputException(
              "vocabulary in "
                  + dir
                  + " has "
                  + v.size()
                  + " ids, "
                  + metaFile
                  + " says vocab_size "
                  + vocabSize);
        }
      }
    } catch (OrtException | IOException | RuntimeException e) {
      closeQuietly(enc, dec, v);
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new UserInputException(e.getMessage(), e);
    }
    this.encoder = enc;
    this.decoder = dec;
    this.vocab = v;
  }

  /** The fp32 models of an export directory, one intra-op thread. */
  public static OnnxTranslator open(Path exportDir) {
    return new OnnxTranslator(exportDir, false, 1);
  }

  /** The fp32 or int8 models of an export directory with {@code threads} intra-op threads. */
  public static OnnxTranslator open(Path exportDir, boolean int8, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("intra-op threads must be >= 1, got " + threads);
    }
    return new OnnxTranslator(exportDir, int8, threads);
  }

  public int vocabSize() {
    return vocabSize;
  }

  /** Best output ids (without EOS) for each source (ids without EOS). */
  public List<int[]> generate(List<int[]> sources, DecodeConfig dc) {
    return new SequenceGenerator(this, dc).generate(sources);
  }

  /**
   * Normalised source sentences to translations, with the vocabulary exported beside the models.
   */
  public List<String> translate(List<String> normalizedSources, DecodeConfig dc) {
    if (vocab == null) {
      throw new IllegalStateException("the export " + dir + " has no vocabulary files");
    }
    List<int[]> src = new ArrayList<>();
    for (String s : normalizedSources) {
      src.add(vocab.encode(s));
    }
    List<String> out = new ArrayList<>();
    for (int[] ids : generate(src, dc)) {
      out.add(vocab.decode(ids));
    }
    return out;
  }

  @Override
  public Decoding start(long[] source) {
    if (source.length > maxPositions) {
      throw new UserInputException(
          "source of "
              + source.length
              + " tokens exceeds the export's max_positions "
              + maxPositions);
    }
    return new OrtDecoding(source);
  }

  private final class OrtDecoding implements Decoding {
    private final int srcLen;
    private final boolean[] srcPad;

    /** One row of each encoder-side key/value tensor, and its shape with the row count 1. */
    private final float[][] crossRow;

    private final long[][] crossShape;
    private final List<OnnxTensor> cross = new ArrayList<>();
    private OnnxTensor mask;
    private int rows;

    /**
     * The step's recurrent state ({@link #stateIn}): owned tensors, or tensors of {@link #last}.
     */
    private final OnnxTensor[] caches = new OnnxTensor[stateIn.size()];

    private boolean ownCaches;
    private OrtSession.Result last;
    private int steps;

    OrtDecoding(long[] source) {
      srcLen = source.length;
      srcPad = new boolean[srcLen];
      crossRow = new float[2 * layers][];
      crossShape = new long[2 * layers][];
      try (OnnxTensor src =
              OnnxTensor.createTensor(env, LongBuffer.wrap(source), new long[] {1, srcLen});
          OrtSession.Result r = encoder.run(Map.of("src_tokens", src))) {
        boolean[][] m = (boolean[][]) value(r, "encoder_padding_mask").getValue();
        System.arraycopy(m[0], 0, srcPad, 0, srcLen);
        for (int i = 0; i < layers; i++) {
          for (int kv = 0; kv < 2; kv++) {
            OnnxTensor t = (OnnxTensor) value(r, (kv == 0 ? "cross_k_" : "cross_v_") + i);
            crossRow[2 * i + kv] = floats(t);
            crossShape[2 * i + kv] = t.getInfo().getShape();
          }
        }
        rows(1);
        ownCaches = true;
        for (int i = 0; i < caches.length; i++) {
          // past_len 0 at the first step: empty caches
          caches[i] = OnnxTensor.createTensor(env, FloatBuffer.allocate(0), stateStart.get(i));
        }
      } catch (OrtException e) {
        close();
        throw new IllegalStateException(
            "ONNX Runtime failed on " + dir.resolve(OnnxExport.ENCODER) + ": " + e.getMessage(), e);
      }
    }

    /** (Re)builds the row-tiled encoder-side inputs for {@code n} rows. */
    private void rows(int n) throws OrtException {
      if (n == rows) {
        return;
      }
      for (OnnxTensor t : cross) {
        t.close();
      }
      cross.clear();
      if (mask != null) {
        mask.close();
      }
      boolean[][] m = new boolean[n][];
      for (int r = 0; r < n; r++) {
        m[r] = srcPad;
      }
      mask = OnnxTensor.createTensor(env, m);
      for (int i = 0; i < crossRow.length; i++) {
        float[] row = crossRow[i];
        FloatBuffer b = FloatBuffer.allocate(row.length * n);
        for (int r = 0; r < n; r++) {
          b.put(row);
        }
        b.flip();
        long[] s = crossShape[i].clone();
        s[0] = n;
        cross.add(OnnxTensor.createTensor(env, b, s));
      }
      rows = n;
    }

    @Override
    public float[] step(long[] prev) {
      if (prev.length != rows) {
        throw new IllegalArgumentException(prev.length + " previous tokens for " + rows + " rows");
      }
      if (steps >= maxPositions) {
        throw new IllegalStateException("decoding past the export's max_positions " + maxPositions);
      }
      try (OnnxTensor tokens =
          OnnxTensor.createTensor(env, LongBuffer.wrap(prev), new long[] {rows})) {
        Map<String, OnnxTensor> in = new HashMap<>();
        in.put("prev_tokens", tokens);
        in.put("encoder_padding_mask", mask);
        for (int i = 0; i < layers; i++) {
          in.put("cross_k_" + i, cross.get(2 * i));
          in.put("cross_v_" + i, cross.get(2 * i + 1));
        }
        for (int i = 0; i < caches.length; i++) {
          in.put(stateIn.get(i), caches[i]);
        }
        OrtSession.Result r = decoder.run(in);
        dropCaches();
        last = r;
        for (int i = 0; i < caches.length; i++) {
          caches[i] = (OnnxTensor) value(r, stateOut.get(i));
        }
        steps++;
        return floats((OnnxTensor) value(r, "log_probs"));
      } catch (OrtException e) {
        throw new IllegalStateException(
            "ONNX Runtime failed on " + dir.resolve(OnnxExport.DECODER) + ": " + e.getMessage(), e);
      }
    }

    @Override
    public void reorder(long[] order) {
      try {
        OnnxTensor[] next = new OnnxTensor[caches.length];
        for (int i = 0; i < caches.length; i++) {
          long[] s = caches[i].getInfo().getShape();
          float[] all = floats(caches[i]);
          int row = 1;
          for (int d = 1; d < s.length; d++) {
            row *= (int) s[d];
          }
          FloatBuffer b = FloatBuffer.allocate(row * order.length);
          for (long o : order) {
            if (o < 0 || o >= s[0]) {
              throw new IllegalArgumentException("reorder row " + o + " of " + s[0]);
            }
            b.put(all, (int) o * row, row);
          }
          b.flip();
          long[] shape = s.clone();
          shape[0] = order.length;
          next[i] = OnnxTensor.createTensor(env, b, shape);
        }
        dropCaches();
        System.arraycopy(next, 0, caches, 0, caches.length);
        ownCaches = true;
        rows(order.length);
      } catch (OrtException e) {
        throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
      }
    }

    private void dropCaches() {
      if (ownCaches) {
        for (OnnxTensor t : caches) {
          if (t != null) {
            t.close();
          }
        }
        ownCaches = false;
      }
      if (last != null) {
        last.close();
        last = null;
      }
    }

    @Override
    public void close() {
      dropCaches();
      for (OnnxTensor t : cross) {
        t.close();
      }
      if (mask != null) {
        mask.close();
      }
    }
  }

  private static OnnxValue value(OrtSession.Result r, String name) {
    return r.get(name)
        .orElseThrow(() -> new IllegalStateException("model output " + name + " missing"));
  }

  private static float[] floats(OnnxTensor t) {
    FloatBuffer b = t.getFloatBuffer();
    float[] out = new float[b.remaining()];
    b.get(out);
    return out;
  }

  private OrtSession session(OrtSession.SessionOptions o, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new UserInputException("ONNX export " + dir + " lacks " + file.getFileName());
    }
    try {
      return env.createSession(file.toString(), o);
    } catch (OrtException e) {
      throw new UserInputException("ONNX Runtime cannot load " + file + ": " + e.getMessage(), e);
    }
  }

  private static int required(JsonNode meta, String field, Path file) {
    JsonNode n = meta.get(field);
    if (n == null || !n.canConvertToInt()) {
      throw new UserInputException(file + ": field '" + field + "' missing or not an integer");
    }
    return n.asInt();
  }

  private static void closeQuietly(AutoCloseable... xs) {
    for (AutoCloseable x : xs) {
      if (x != null) {
        try {
          x.close();
        } catch (Exception ignored) {
          // already failing: the first error is the one reported
        }
      }
    }
  }

  @Override
  public void close() {
    closeQuietly(encoder, decoder, vocab);
  }
}
