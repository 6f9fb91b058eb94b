package io.hatflow.model.export;

import static io.hatflow.model.transformer.WeightNames.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.hatflow.core.space.Activation;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.model.export.OnnxGraph.Attr;
import io.hatflow.model.transformer.Sinusoids;
import io.hatflow.model.transformer.SuperTransformer;

/**
 * Builds the two ONNX graphs of a SubTransformer from a {@link SuperTransformer} (sliced to the
 * SubConfig exactly as its forward pass slices: top-left blocks of every weight), op for op in the
 * order of {@link SuperTransformer}'s eval-mode {@code encode}/{@code startDecoding}/{@code step},
 * so float results match DJL's to rounding.
 *
 * <p>{@code encoder}: {@code src_tokens} int64 [batch, src_len] (right-padded with PAD, EOS last)
 * to {@code encoder_out} [batch, src_len, encoder_embed_dim], {@code encoder_padding_mask} bool
 * [batch, src_len] (true at PAD) and, per decoder layer i, the encoder-decoder attention keys and
 * values {@code cross_k_i}, {@code cross_v_i} [batch, ende_heads_i, n_i * src_len, head_dim_i]:
 * projected once per sentence here rather than at every step, and n_i (1-3, HAT's arbitrary ende
 * attention) encoder layer outputs concatenated along time, so the step model never needs the inner
 * encoder layers.
 *
 * <p>{@code decoder_step}: {@code prev_tokens} int64 [batch], {@code encoder_padding_mask}, the
 * cross keys/values, and per decoder layer the self-attention cache {@code cache_k_i}, {@code
 * cache_v_i} [batch, self_heads_i, past_len, head_dim_i] (past_len = 0 at the first step) to {@code
 * log_probs} [batch, vocab] for the next token and the caches with this step appended ({@code
 * new_cache_k_i}, {@code new_cache_v_i}). The step's position is past_len, read from {@code
 * cache_k_0}'s shape, so it cannot disagree with the caches.
 *
 * <p>Primer's genes: a layer's FFN activation is Relu, Relu then Mul (squared ReLU) or Erf-based
 * GELU; a layer with a self-attention depthwise convolution runs a {@code Conv} with {@code group}
 * = channels over the Q/K/V projections (encoder: centred, padding zeroed first). The decoder step
 * of such a layer takes {@code conv_in_i} [batch, hist_len, 3 * qkv_dim], its last (up to 2)
 * unconvolved projections ({@code hist_len} 0 at the first step), and returns {@code new_conv_in_i}
 * to feed back, so the causal kernel sees what teacher forcing sees.
 *
 * <p>int8: every MatMul with a weight initializer (attention projections, FFN, output projection)
 * becomes {@code DynamicQuantizeLinear} on the activation, {@code MatMulInteger} with the weight
 * quantized here (symmetric int8 per output channel), then an fp32 rescale and bias; embeddings,
 * softmax and layer norms stay fp32.
 */
final class TransformerOnnx {
  /** Positions the sinusoid tables cover (fairseq's max_source/target_positions). */
  static final int MAX_POSITIONS = 1024;

  private static final float NEG = -1e9f;

  private final SuperTransformer model;
  private final SubConfig c;
  private final int q;
  private final int vocab;
  private final boolean int8;
  private OnnxGraph g;

  TransformerOnnx(SuperTransformer model, SubConfig config, boolean int8) {
    model.check(config);
    this.model = model;
    this.c = config.active();
    this.q = model.qkvDim();
    this.vocab = model.vocabSize();
    this.int8 = int8;
  }

  // ---------------------------------------------------------------- encoder

  OnnxGraph encoder() {
    g = new OnnxGraph("hatflow_encoder");
    int e = c.encoderEmbedDim();
    g.input("src_tokens", OnnxGraph.INT64, "batch", "src_len");
    String pad = g.op("Equal", "src_tokens", g.scalarLong(SpecialTokens.PAD));
    g.node("Identity", new String[] {pad}, new String[] {"encoder_padding_mask"});
    String mask = additiveMask(pad);
    String len = g.op("Shape", new String[] {"src_tokens"}, Attr.i("start", 1), Attr.i("end", 2));
    String x = embed("src_tokens", embedTable("enc", e), e, g.ints(0), len, "enc");
    String[] outs = new String[c.encoderLayerNum()];
    String keep = null;
    for (int i = 0; i < c.encoderLayerNum(); i++) {
      String p = enc(i);
      int h = c.encoderSelfAttentionHeads().get(i);
      String proj = linear(x, p + SELF_IN_W, 3 * q, e, p + SELF_IN_B, 0, 3 * q);
      if (c.encoderDconvAt(i) > 0) {
        if (keep == null) { // [B, S, 1]: 1 at tokens, 0 at padding, as SuperTransformer.encode
          keep =
              g.op(
                  "Unsqueeze",
                  g.op("Cast", g.op("Not", pad), Attr.i("to", OnnxGraph.FLOAT)),
                  g.ints(2));
        }
        proj = dconv(g.op("Mul", proj, keep), p, c.encoderDconvAt(i), false);
      }
      String[] qkv = split3(proj);
      String qs = g.op("Mul", qkv[0], g.scalar(scale(h)));
      String a = merge(attend(heads(qs, h), heads(qkv[1], h), heads(qkv[2], h), mask));
      a = linear(a, p + SELF_OUT_W, e, q, p + SELF_OUT_B, 0, e);
      x = norm(g.op("Add", x, a), p + LN1, e);
      x =
          norm(
              g.op("Add", x, ffn(x, p, e, c.encoderFfnEmbedDim().get(i), c.encoderActivationAt(i))),
              p + LN2,
              e);
      outs[i] = x;
    }
    int last = outs.length - 1;
    g.node("Identity", new String[] {outs[last]}, new String[] {"encoder_out"});
    g.output("encoder_out", OnnxGraph.FLOAT, "batch", "src_len", (long) e);
    g.output("encoder_padding_mask", OnnxGraph.BOOL, "batch", "src_len");
    for (int i = 0; i < c.decoderLayerNum(); i++) {
      String p = dec(i);
      int n = c.endeLayersAttended(i);
      int h = c.decoderEndeAttentionHeads().get(i);
      // HAT's order: the last layer's output, then the second last, then the third last
      String kv = outs[last];
      if (n > 1) {
        String[] parts = new String[n];
        for (int k = 0; k < n; k++) {
          parts[k] = outs[last - k];
        }
        kv = g.op("Concat", parts, Attr.i("axis", 1));
      }
      String k = heads(linear(kv, p + ENDE_K_W, q, e, p + ENDE_IN_B, q, 2 * q), h);
      String v = heads(linear(kv, p + ENDE_V_W, q, e, p + ENDE_IN_B, 2 * q, 3 * q), h);
      g.node("Identity", new String[] {k}, new String[] {"cross_k_" + i});
      g.node("Identity", new String[] {v}, new String[] {"cross_v_" + i});
      g.output(
          "cross_k_" + i, OnnxGraph.FLOAT, "batch", (long) h, "cross_len_" + i, (long) (q / h));
      g.output(
          "cross_v_" + i, OnnxGraph.FLOAT, "batch", (long) h, "cross_len_" + i, (long) (q / h));
    }
    return g;
  }

  // ---------------------------------------------------------------- decoder step

  OnnxGraph decoderStep() {
    g = new OnnxGraph("hatflow_decoder_step");
    int d = c.decoderEmbedDim();
    g.input("prev_tokens", OnnxGraph.INT64, "batch");
    g.input("encoder_padding_mask", OnnxGraph.BOOL, "batch", "src_len");
    for (int i = 0; i < c.decoderLayerNum(); i++) {
      int h = c.decoderEndeAttentionHeads().get(i);
      g.input("cross_k_" + i, OnnxGraph.FLOAT, "batch", (long) h, "cross_len_" + i, (long) (q / h));
      g.input("cross_v_" + i, OnnxGraph.FLOAT, "batch", (long) h, "cross_len_" + i, (long) (q / h));
    }
    for (int i = 0; i < c.decoderLayerNum(); i++) {
      int h = c.decoderSelfAttentionHeads().get(i);
      g.input("cache_k_" + i, OnnxGraph.FLOAT, "batch", (long) h, "past_len", (long) (q / h));
      g.input("cache_v_" + i, OnnxGraph.FLOAT, "batch", (long) h, "past_len", (long) (q / h));
    }
    for (int i = 0; i < c.decoderLayerNum(); i++) {
      if (c.decoderDconvAt(i) > 0) {
        g.input("conv_in_" + i, OnnxGraph.FLOAT, "batch", "hist_len_" + i, (long) (3 * q));
      }
    }
    g.output("log_probs", OnnxGraph.FLOAT, "batch", (long) vocab);
    for (int i = 0; i < c.decoderLayerNum(); i++) {
      int h = c.decoderSelfAttentionHeads().get(i);
      g.output("new_cache_k_" + i, OnnxGraph.FLOAT, "batch", (long) h, "new_len", (long) (q / h));
      g.output("new_cache_v_" + i, OnnxGraph.FLOAT, "batch", (long) h, "new_len", (long) (q / h));
    }
    for (int i = 0; i < c.decoderLayerNum(); i++) {
      if (c.decoderDconvAt(i) > 0) {
        g.output("new_conv_in_" + i, OnnxGraph.FLOAT, "batch", "new_hist_len_" + i, (long) (3 * q));
      }
    }
    String past = g.op("Shape", new String[] {"cache_k_0"}, Attr.i("start", 2), Attr.i("end", 3));
    String next = g.op("Add", past, g.ints(1));
    String tokens = g.op("Unsqueeze", "prev_tokens", g.ints(1));
    String table = embedTable("dec", d);
    String y = embed(tokens, table, d, past, next, "dec");
    String mask = additiveMask("encoder_padding_mask");
    for (int i = 0; i < c.decoderLayerNum(); i++) {
      String p = dec(i);
      int h = c.decoderSelfAttentionHeads().get(i);
      String proj = linear(y, p + SELF_IN_W, 3 * q, d, p + SELF_IN_B, 0, 3 * q);
      int k = c.decoderDconvAt(i);
      if (k > 0) {
        // [zeros(k-1), history, this step]: the last k rows are the causal window (zeros before the
        // start)
        String rows =
            g.op(
                "Concat",
                new String[] {
                  g.op("Shape", new String[] {proj}, Attr.i("start", 0), Attr.i("end", 1)),
                  g.ints(k - 1, 3L * q)
                },
                Attr.i("axis", 0));
        String all =
            g.op(
                "Concat",
                new String[] {g.op("ConstantOfShape", rows), "conv_in_" + i, proj},
                Attr.i("axis", 1));
        String window =
            g.op("Slice", new String[] {all, g.ints(-k), g.ints(Long.MAX_VALUE), g.ints(1)});
        g.node(
            "Slice",
            new String[] {all, g.ints(-(k - 1)), g.ints(Long.MAX_VALUE), g.ints(1)},
            new String[] {"new_conv_in_" + i});
        proj = conv(window, p, k, 0, 0);
      }
      String[] qkv = split3(proj);
      String qs = g.op("Mul", qkv[0], g.scalar(scale(h)));
      g.node(
          "Concat",
          new String[] {"cache_k_" + i, heads(qkv[1], h)},
          new String[] {"new_cache_k_" + i},
          Attr.i("axis", 2));
      g.node(
          "Concat",
          new String[] {"cache_v_" + i, heads(qkv[2], h)},
          new String[] {"new_cache_v_" + i},
          Attr.i("axis", 2));
      String a = merge(attend(heads(qs, h), "new_cache_k_" + i, "new_cache_v_" + i, null));
      a = linear(a, p + SELF_OUT_W, d, q, p + SELF_OUT_B, 0, d);
      y = norm(g.op("Add", y, a), p + LN1, d);
      int he = c.decoderEndeAttentionHeads().get(i);
      String qe =
          g.op("Mul", linear(y, p + ENDE_Q_W, q, d, p + ENDE_IN_B, 0, q), g.scalar(scale(he)));
      int n = c.endeLayersAttended(i);
      String m = mask;
      if (n > 1) {
        String[] parts = new String[n];
        java.util.Arrays.fill(parts, mask);
        m = g.op("Concat", parts, Attr.i("axis", 3));
      }
      a = merge(attend(heads(qe, he), "cross_k_" + i, "cross_v_" + i, m));
      a = linear(a, p + ENDE_OUT_W, d, q, p + ENDE_OUT_B, 0, d);
      y = norm(g.op("Add", y, a), p + LN2, d);
      y =
          norm(
              g.op("Add", y, ffn(y, p, d, c.decoderFfnEmbedDim().get(i), c.decoderActivationAt(i))),
              p + LN3,
              d);
    }
    // output projection tied to the embedding (HAT shares it): logits = y · embed[:V, :d]ᵀ. fp32
    // reuses the
    // decoder's embedding initializer through Gemm's transB rather than storing a transposed copy.
    String y2 = g.op("Squeeze", y, g.ints(1));
    String logits =
        int8
            ? linear(y2, EMBED, vocab, d, null, 0, 0)
            : g.op("Gemm", new String[] {y2, table}, Attr.i("transB", 1));
    g.node("LogSoftmax", new String[] {logits}, new String[] {"log_probs"}, Attr.i("axis", -1));
    return g;
  }

  // ---------------------------------------------------------------- pieces

  private float scale(int heads) {
    return (float) Math.pow(q / heads, -0.5);
  }

  /**
   * bool [B, S] (true at PAD) to the additive key mask [B, 1, 1, S] the DJL model adds to attention
   * scores.
   */
  private String additiveMask(String pad) {
    String m = g.op("Where", new String[] {pad, g.scalar(NEG), g.scalar(0f)});
    return g.op("Unsqueeze", m, g.ints(1, 2));
  }

  /**
   * Token embedding times sqrt(dim) plus the positions [from, to) of the sinusoid table sliced to
   * {@code dim}.
   */
  private String embedTable(String tag, int dim) {
    return g.floats(tag + ".embed", new long[] {vocab, dim}, block(EMBED, vocab, dim));
  }

  private String embed(String tokens, String table, int dim, String from, String to, String tag) {
    String x = g.op("Gather", table, tokens);
    x = g.op("Mul", x, g.scalar((float) Math.sqrt(dim)));
    String pos = g.floats(tag + ".positions", new long[] {MAX_POSITIONS, dim}, positions(dim));
    return g.op("Add", x, g.op("Slice", new String[] {pos, from, to, g.ints(0)}));
  }

  private float[] positions(int dim) {
    int width = model.positionDim();
    try (NDManager m = NDManager.newBaseManager()) {
      float[] full = Sinusoids.table(m, 0, MAX_POSITIONS, width).toFloatArray();
      if (width == dim) {
        return full;
      }
      // HAT slices the SuperTransformer-wide table's first dim channels (see
      // SuperTransformer.embed)
      float[] out = new float[MAX_POSITIONS * dim];
      for (int t = 0; t < MAX_POSITIONS; t++) {
        System.arraycopy(full, t * width, out, t * dim, dim);
      }
      return out;
    }
  }

  private String[] split3(String x) {
    String[] out = {g.fresh("q"), g.fresh("k"), g.fresh("v")};
    // opset 13-17 Split without a 'split' input: three equal parts
    g.node("Split", new String[] {x}, out, Attr.i("axis", 2));
    return out;
  }

  /** [B, T, Q] to [B, H, T, Q/H]. */
  private String heads(String x, int h) {
    String r = g.op("Reshape", x, g.ints(0, 0, h, q / h));
    return g.op("Transpose", r, Attr.ints("perm", 0, 2, 1, 3));
  }

  /** [B, H, T, hd] to [B, T, H * hd]. */
  private String merge(String x) {
    String t = g.op("Transpose", x, Attr.ints("perm", 0, 2, 1, 3));
    return g.op("Reshape", t, g.ints(0, 0, q));
  }

  /** softmax(q kᵀ + mask) v over [B, H, *, hd]; q is already scaled. */
  private String attend(String qh, String kh, String vh, String mask) {
    String kt = g.op("Transpose", kh, Attr.ints("perm", 0, 1, 3, 2));
    String w = g.op("MatMul", qh, kt);
    if (mask != null) {
      w = g.op("Add", w, mask);
    }
    w = g.op("Softmax", w, Attr.i("axis", -1));
    return g.op("MatMul", w, vh);
  }

  private String ffn(String x, String p, int dim, int ffnDim, Activation act) {
    String h = linear(x, p + FC1_W, ffnDim, dim, p + FC1_B, 0, ffnDim);
    h =
        switch (act) {
          case RELU -> g.op("Relu", h);
          case SQUARED_RELU -> {
            String r = g.op("Relu", h);
            yield g.op("Mul", r, r);
          }
          // exact GELU (PyTorch's default): 0.5 x (1 + erf(x / sqrt 2)); opset 17 has no Gelu op
          case GELU ->
              g.op(
                  "Mul",
                  g.op("Mul", h, g.scalar(0.5f)),
                  g.op(
                      "Add",
                      g.scalar(1f),
                      g.op("Erf", g.op("Div", h, g.scalar((float) Math.sqrt(2))))));
        };
    return linear(h, p + FC2_W, dim, ffnDim, p + FC2_B, 0, dim);
  }

  /**
   * Zero-padded depthwise convolution over time of [B, T, 3q] with layer {@code p}'s kernels, as
   * SuperTransformer.
   */
  private String dconv(String x, String p, int k, boolean causal) {
    int before = causal ? k - 1 : k / 2;
    return conv(x, p, k, before, k - 1 - before);
  }

  /**
   * Conv with group = channels on [B, T, C] (transposed to [B, C, T] and back) with the given time
   * padding.
   */
  private String conv(String x, String p, int k, int padBefore, int padAfter) {
    int ch = 3 * q;
    String w = g.floats(p + SELF_DCONV, new long[] {ch, 1, k}, block(p + SELF_DCONV, ch, k));
    String t = g.op("Transpose", x, Attr.ints("perm", 0, 2, 1));
    String y =
        g.op(
            "Conv",
            new String[] {t, w},
            Attr.i("group", ch),
            Attr.ints("kernel_shape", k),
            Attr.ints("pads", padBefore, padAfter));
    return g.op("Transpose", y, Attr.ints("perm", 0, 2, 1));
  }

  private String norm(String x, String p, int dim) {
    String gamma = g.floats(p + GAIN, new long[] {dim}, vector(p + GAIN, 0, dim));
    String beta = g.floats(p + BIAS, new long[] {dim}, vector(p + BIAS, 0, dim));
    return g.op(
        "LayerNormalization",
        new String[] {x, gamma, beta},
        Attr.i("axis", -1),
        Attr.f("epsilon", 1e-5f));
  }

  /**
   * {@code x · W[:out, :in]ᵀ + bias[from:to]} ({@code bias} null: none). fp32: one MatMul with Wᵀ
   * as initializer; int8: see the class comment.
   */
  private String linear(String x, String w, int out, int in, String bias, int from, int to) {
    float[] wt = block(w, out, in);
    String y;
    if (!int8) {
      float[] t = new float[in * out];
      for (int o = 0; o < out; o++) {
        for (int i = 0; i < in; i++) {
          t[i * out + o] = wt[o * in + i];
        }
      }
      y = g.op("MatMul", x, g.floats(g.fresh(w), new long[] {in, out}, t));
    } else {
      float[] scales = new float[out];
      byte[] qt = new byte[in * out];
      for (int o = 0; o < out; o++) {
        float max = 0;
        for (int i = 0; i < in; i++) {
          max = Math.max(max, Math.abs(wt[o * in + i]));
        }
        float s = max == 0 ? 1f : max / 127f;
        scales[o] = s;
        for (int i = 0; i < in; i++) {
          qt[i * out + o] = (byte) Math.max(-127, Math.min(127, Math.round(wt[o * in + i] / s)));
        }
      }
      String wq = g.int8s(g.fresh(w + ".int8"), new long[] {in, out}, qt);
      String ws = g.floats(g.fresh(w + ".scale"), new long[] {out}, scales);
      String xq = g.fresh("xq");
      String xs = g.fresh("xscale");
      String xz = g.fresh("xzero");
      g.node("DynamicQuantizeLinear", new String[] {x}, new String[] {xq, xs, xz});
      // weights are symmetric (zero point 0): b_zero_point left out
      String acc = g.op("MatMulInteger", new String[] {xq, wq, xz});
      String f = g.op("Cast", acc, Attr.i("to", OnnxGraph.FLOAT));
      y = g.op("Mul", f, g.op("Mul", xs, ws));
    }
    if (bias != null) {
      y = g.op("Add", y, g.floats(g.fresh(bias), new long[] {to - from}, vector(bias, from, to)));
    }
    return y;
  }

  /** The top-left [rows, cols] block of a 2-D weight, row-major. */
  private float[] block(String name, int rows, int cols) {
    NDArray a = model.weights().get(name);
    if (a.getShape().dimension() != 2 || a.getShape().get(0) < rows || a.getShape().get(1) < cols) {
      throw new IllegalArgumentException(
          "weight "
              + name
              + " has shape "
              + a.getShape()
              + ", need at least ["
              + rows
              + ", "
              + cols
              + "]");
    }
    long k = a.getShape().get(1);
    float[] all = a.toFloatArray();
    if (a.getShape().get(0) == rows && k == cols) {
      return all;
    }
    float[] out = new float[rows * cols];
    for (int i = 0; i < rows; i++) {
      System.arraycopy(all, (int) (i * k), out, i * cols, cols);
    }
    return out;
  }

  private float[] vector(String name, int from, int to) {
    NDArray a = model.weights().get(name);
    if (a.getShape().dimension() != 1 || a.getShape().get(0) < to) {
      throw new IllegalArgumentException(
          "weight " + name + " has shape " + a.getShape() + ", need [" + to + "]");
    }
    return java.util.Arrays.copyOfRange(a.toFloatArray(), from, to);
  }
}
