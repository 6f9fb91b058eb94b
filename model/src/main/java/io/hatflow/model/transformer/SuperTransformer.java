package io.hatflow.model.transformer;

import static io.hatflow.model.transformer.WeightNames.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.Activation;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.text.SpecialTokens;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * HAT's SuperTransformer: an encoder-decoder Transformer (fairseq base: post-layer-norm, sinusoidal
 * positions, shared source/target embedding tied to the output projection, embeddings scaled by
 * sqrt(dim)) that holds the weights of its {@link #shape()} config and runs any smaller SubConfig
 * by slicing, as HAT's *Super modules do: embedding columns and every Linear's in/out dims are
 * sliced to the active embed/FFN dims, layer norms to the active dim, attention keeps the fixed qkv
 * dim (heads split it: head dim = qkvDim / heads) and only slices its input dims, the first {@code
 * *LayerNum} layers run, and decoder layer i attends to the last 1-3 encoder layer outputs
 * concatenated along time ({@code decoder_arbitrary_ende_attn}).
 *
 * <p>Primer's optional genes: a layer's FFN activation (ReLU, squared ReLU or erf GELU) and a
 * 3-wide depthwise convolution over time after the Q, K and V projections of self-attention
 * (centred in the encoder, causal in the decoder; zero padding, encoder padding zeroed first). The
 * kernels act per channel of the fixed qkv dim, so SubTransformers share them unsliced; a
 * SuperTransformer holds them for the layers its shape convolves.
 *
 * <p>The SubConfig is an immutable argument of every call, never state: one model serves many
 * configs from many threads in eval mode (forward ops only read the weights). An extracted
 * SubTransformer is the same class built with its own config as shape, so sliced and standalone
 * forwards run the same code.
 *
 * <p>Layout is batch-first: tokens {@code [B, T]} int64, right-padded with {@link
 * SpecialTokens#PAD}.
 */
public final class SuperTransformer implements AutoCloseable {
  private static final float NEG = -1e9f;

  private final SubConfig shape;
  private final int qkvDim;
  private final int vocabSize;
  private final Dropouts dropouts;
  private final Weights weights;
  private final int embedDim;

  /**
   * Width of the sinusoidal position table that every active dim slices (the SuperTransformer's
   * embed dim).
   */
  private final int positionDim;

  /**
   * New randomly initialised weights of {@code shape} (HAT/fairseq init), deterministic in {@code
   * seed}.
   */
  public static SuperTransformer create(
      NDManager parent, SubConfig shape, int qkvDim, int vocabSize, Dropouts dropouts, long seed) {
    SuperTransformer t = new SuperTransformer(parent, shape, qkvDim, vocabSize, dropouts, 0);
    t.init(new Random(seed));
    return t;
  }

  /** Zero weights of the right shapes, to be loaded ({@link Weights#load}). */
  public static SuperTransformer uninitialised(
      NDManager parent, SubConfig shape, int qkvDim, int vocabSize, Dropouts d) {
    return uninitialised(parent, shape, qkvDim, vocabSize, d, 0);
  }

  /**
   * As {@link #uninitialised(NDManager, SubConfig, int, int, Dropouts)} for a SubTransformer
   * extracted from a SuperTransformer whose position table was {@code positionDim} wide (0 = this
   * shape's own embed dim).
   */
  public static SuperTransformer uninitialised(
      NDManager parent, SubConfig shape, int qkvDim, int vocabSize, Dropouts d, int positionDim) {
    SuperTransformer t = new SuperTransformer(parent, shape, qkvDim, vocabSize, d, positionDim);
    t.init(null);
    return t;
  }

  private SuperTransformer(
      NDManager parent,
      SubConfig shape,
      int qkvDim,
      int vocabSize,
      Dropouts dropouts,
      int positionDim) {
    this.shape = shape.active();
    this.qkvDim = qkvDim;
    this.vocabSize = vocabSize;
    this.dropouts = dropouts;
    this.weights = new Weights(parent.newSubManager());
    this.embedDim = Math.max(this.shape.encoderEmbedDim(), this.shape.decoderEmbedDim());
    this.positionDim = positionDim == 0 ? embedDim : positionDim;
    if (this.positionDim < embedDim || this.positionDim % 2 != 0) {
      throw new IllegalArgumentException(
          "position table width " + positionDim + " must be even and >= " + embedDim);
    }
    if (vocabSize <= SpecialTokens.COUNT) {
      throw new IllegalArgumentException(
          "vocabulary size must exceed " + SpecialTokens.COUNT + ", got " + vocabSize);
    }
  }

  private void init(Random rnd) {
    SubConfig s = shape;
    int q = qkvDim;
    weights.normal(EMBED, vocabSize, embedDim, Math.pow(embedDim, -0.5), SpecialTokens.PAD, rnd);
    int e = s.encoderEmbedDim();
    for (int i = 0; i < s.encoderLayerNum(); i++) {
      String p = enc(i);
      selfAttention(p, e, s.encoderDconvAt(i), false, rnd);
      layerNorm(p + LN1, e);
      ffnWeights(p, e, s.encoderFfnEmbedDim().get(i), rnd);
      layerNorm(p + LN2, e);
    }
    int d = s.decoderEmbedDim();
    for (int i = 0; i < s.decoderLayerNum(); i++) {
      String p = dec(i);
      selfAttention(p, d, s.decoderDconvAt(i), true, rnd);
      layerNorm(p + LN1, d);
      weights.xavier(p + ENDE_Q_W, q, d, rnd);
      weights.xavier(p + ENDE_K_W, q, e, rnd);
      weights.xavier(p + ENDE_V_W, q, e, rnd);
      weights.constant(p + ENDE_IN_B, 3 * q, 0);
      weights.xavier(p + ENDE_OUT_W, d, q, rnd);
      weights.constant(p + ENDE_OUT_B, d, 0);
      layerNorm(p + LN2, d);
      ffnWeights(p, d, s.decoderFfnEmbedDim().get(i), rnd);
      layerNorm(p + LN3, d);
    }
  }

  // the draw order of rnd is the checkpoint format: these helpers keep HAT's per-layer order
  private void selfAttention(String p, int dim, int dconv, boolean causal, Random rnd) {
    weights.xavier(p + SELF_IN_W, 3 * qkvDim, dim, rnd);
    weights.constant(p + SELF_IN_B, 3 * qkvDim, 0);
    weights.xavier(p + SELF_OUT_W, dim, qkvDim, rnd);
    weights.constant(p + SELF_OUT_B, dim, 0);
    if (dconv > 0) {
      // identity kernels (1 at the current position): training starts from plain attention and
      // draws nothing
      // from rnd, so the other weights' init does not depend on whether the space convolves
      float[] k = new float[3 * qkvDim * dconv];
      for (int c = 0; c < 3 * qkvDim; c++) {
        k[c * dconv + (causal ? dconv - 1 : dconv / 2)] = 1f;
      }
      weights.put(p + SELF_DCONV, weights.manager().create(k, new Shape(3 * qkvDim, dconv)));
    }
  }

  private void ffnWeights(String p, int dim, int ffnDim, Random rnd) {
    weights.xavier(p + FC1_W, ffnDim, dim, rnd);
    weights.constant(p + FC1_B, ffnDim, 0);
    weights.xavier(p + FC2_W, dim, ffnDim, rnd);
    weights.constant(p + FC2_B, dim, 0);
  }

  private void layerNorm(String p, int dim) {
    weights.constant(p + GAIN, dim, 1);
    weights.constant(p + BIAS, dim, 0);
  }

  public SubConfig shape() {
    return shape;
  }

  public int qkvDim() {
    return qkvDim;
  }

  public int vocabSize() {
    return vocabSize;
  }

  /**
   * Width of the sinusoidal position table the active dims slice (HAT: the SuperTransformer's embed
   * dim).
   */
  public int positionDim() {
    return positionDim;
  }

  public Dropouts dropouts() {
    return dropouts;
  }

  public Weights weights() {
    return weights;
  }

  public NDManager manager() {
    return weights.manager();
  }

  /** Fails with a clear message if {@code c} does not fit in this model's weights. */
  public void check(SubConfig c) {
    SubConfig s = shape;
    List<String> bad = new ArrayList<>();
    if (c.encoderEmbedDim() > s.encoderEmbedDim()) {
      bad.add("encoder_embed_dim " + c.encoderEmbedDim() + " > " + s.encoderEmbedDim());
    }
    if (c.decoderEmbedDim() > s.decoderEmbedDim()) {
      bad.add("decoder_embed_dim " + c.decoderEmbedDim() + " > " + s.decoderEmbedDim());
    }
    if (c.encoderLayerNum() > s.encoderLayerNum()) {
      bad.add("encoder_layer_num " + c.encoderLayerNum() + " > " + s.encoderLayerNum());
    }
    if (c.decoderLayerNum() > s.decoderLayerNum()) {
      bad.add("decoder_layer_num " + c.decoderLayerNum() + " > " + s.decoderLayerNum());
    }
    for (int i = 0; i < Math.min(c.encoderLayerNum(), s.encoderLayerNum()); i++) {
      if (c.encoderFfnEmbedDim().get(i) > s.encoderFfnEmbedDim().get(i)) {
        bad.add("encoder_ffn_embed_dim[" + i + "] too large");
      }
      heads(bad, "encoder_self_attention_heads", i, c.encoderSelfAttentionHeads().get(i));
      dconv(bad, "encoder_attention_dconv", i, c.encoderDconvAt(i), enc(i));
    }
    for (int i = 0; i < Math.min(c.decoderLayerNum(), s.decoderLayerNum()); i++) {
      if (c.decoderFfnEmbedDim().get(i) > s.decoderFfnEmbedDim().get(i)) {
        bad.add("decoder_ffn_embed_dim[" + i + "] too large");
      }
      heads(bad, "decoder_self_attention_heads", i, c.decoderSelfAttentionHeads().get(i));
      heads(bad, "decoder_ende_attention_heads", i, c.decoderEndeAttentionHeads().get(i));
      dconv(bad, "decoder_attention_dconv", i, c.decoderDconvAt(i), dec(i));
      if (c.endeLayersAttended(i) > c.encoderLayerNum()) {
        bad.add(
            "decoder_arbitrary_ende_attn[" + i + "] attends to more layers than the encoder has");
      }
    }
    if (!bad.isEmpty()) {
      throw new UserInputException(
          "SubConfig "
              + c.key()
              + " does not fit the model "
              + shape.key()
              + ": "
              + String.join("; ", bad));
    }
  }

  private void dconv(List<String> bad, String gene, int i, int width, String prefix) {
    if (width > 0 && !weights.has(prefix + SELF_DCONV)) {
      bad.add(
          gene
              + "["
              + i
              + "]="
              + width
              + " but the model has no depthwise kernels there (trained without the gene)");
    }
  }

  private void heads(List<String> bad, String gene, int i, int h) {
    if (h < 1 || qkvDim % h != 0) {
      bad.add(gene + "[" + i + "]=" + h + " does not divide qkv_dim " + qkvDim);
    }
  }

  // ---------------------------------------------------------------- forward

  /** Encoder outputs of every active layer (index 0 = first layer) and the source padding mask. */
  public record Encoded(List<NDArray> layers, NDArray padMask) {
    /**
     * Keys/values for decoder layer {@code i}: the last n layer outputs concatenated along time,
     * and their mask.
     */
    NDList endeInput(SubConfig c, int i) {
      // HAT's order: the last layer's output, then the second last, then the third last
      int n = c.endeLayersAttended(i);
      int last = layers.size() - 1;
      NDArray kv = layers.get(last);
      NDArray mask = padMask;
      for (int k = 1; k < n; k++) {
        kv = kv.concat(layers.get(last - k), 1);
        mask = mask.concat(padMask, 3);
      }
      return new NDList(kv, mask);
    }
  }

  /**
   * Teacher-forced logits {@code [B, T, V]} for source {@code [B, S]} and decoder input {@code [B,
   * T]}.
   */
  public NDArray forward(SubConfig c, NDArray src, NDArray prevTgt, boolean train) {
    check(c);
    Encoded enc = encode(c, src, train);
    return decode(c, enc, prevTgt, train);
  }

  public Encoded encode(SubConfig c, NDArray src, boolean train) {
    int e = c.encoderEmbedDim();
    NDArray x = embed(src, e, 0);
    x = drop(x, dropouts.dropout(), train);
    // additive key mask [B, 1, 1, S]: -1e9 at padding
    NDArray pad =
        src.eq(SpecialTokens.PAD)
            .toType(DataType.FLOAT32, false)
            .mul(NEG)
            .expandDims(1)
            .expandDims(1);
    List<NDArray> outs = new ArrayList<>();
    NDArray keep =
        null; // [B, S, 1]: 1 at tokens, 0 at padding, so a convolution does not read padding
    for (int i = 0; i < c.encoderLayerNum(); i++) {
      String p = enc(i);
      NDArray r = x;
      NDArray qkv = lin(x, p + SELF_IN_W, 3 * qkvDim, e, p + SELF_IN_B, 3 * qkvDim);
      if (c.encoderDconvAt(i) > 0) {
        keep =
            keep != null
                ? keep
                : src.neq(SpecialTokens.PAD).toType(DataType.FLOAT32, false).expandDims(2);
        qkv = dconv(qkv.mul(keep), weights.get(p + SELF_DCONV), false);
      }
      NDList parts = qkv.split(3, 2);
      NDArray a =
          attention(
              parts.get(0),
              parts.get(1),
              parts.get(2),
              c.encoderSelfAttentionHeads().get(i),
              pad,
              train);
      a = lin(a, p + SELF_OUT_W, e, qkvDim, p + SELF_OUT_B, e);
      x = norm(r.add(drop(a, dropouts.dropout(), train)), p + LN1, e);
      x =
          norm(
              x.add(ffn(x, p, e, c.encoderFfnEmbedDim().get(i), c.encoderActivationAt(i), train)),
              p + LN2,
              e);
      outs.add(x);
    }
    return new Encoded(outs, pad);
  }

  /** Decoder over a whole target prefix with a causal mask: logits {@code [B, T, V]}. */
  public NDArray decode(SubConfig c, Encoded enc, NDArray prevTgt, boolean train) {
    int d = c.decoderEmbedDim();
    long t = prevTgt.getShape().get(1);
    NDArray y = drop(embed(prevTgt, d, 0), dropouts.dropout(), train);
    NDManager m = prevTgt.getManager();
    NDArray ar = m.arange((int) t);
    NDArray causal =
        ar.expandDims(0).gt(ar.expandDims(1)).toType(DataType.FLOAT32, false).mul(NEG); // [T, T]
    for (int i = 0; i < c.decoderLayerNum(); i++) {
      y = decoderLayer(c, i, y, causal, endeHeads(c, i, enc), null, train);
    }
    return outputProjection(y, d);
  }

  /**
   * Decoder layer {@code i} on {@code y} {@code [B, T, d]}. Teacher forcing: {@code cache} null,
   * the whole prefix at once under {@code causal}. Incremental decoding: {@code y} is the one new
   * position, its self-attention keys/values are appended to {@code cache} and it attends to all of
   * them (no mask needed).
   */
  private NDArray decoderLayer(
      SubConfig c,
      int i,
      NDArray y,
      NDArray causal,
      EndeHeads ende,
      DecoderState cache,
      boolean train) {
    String p = dec(i);
    int d = c.decoderEmbedDim();
    int h = c.decoderSelfAttentionHeads().get(i);
    NDArray qkv = lin(y, p + SELF_IN_W, 3 * qkvDim, d, p + SELF_IN_B, 3 * qkvDim);
    if (c.decoderDconvAt(i) > 0) {
      NDArray w = weights.get(p + SELF_DCONV);
      if (cache == null) {
        qkv = dconv(qkv, w, true);
      } else {
        // the causal kernel reads this position's projections and the last two: keep those, zeros
        // before the start
        NDArray past =
            cache.convIn[i] != null
                ? cache.convIn[i]
                : qkv.getManager()
                    .zeros(new Shape(qkv.getShape().get(0), 2, 3L * qkvDim), qkv.getDataType());
        NDArray window = past.concat(qkv, 1);
        cache.convIn[i] = window.get(":, 1:, :");
        qkv = dconv(window, w, true).get(":, 2:, :");
      }
    }
    NDList parts = qkv.split(3, 2);
    NDArray a;
    if (cache == null) {
      a = attention(parts.get(0), parts.get(1), parts.get(2), h, causal, train);
    } else {
      long b = y.getShape().get(0);
      int hd = qkvDim / h;
      NDArray qh = queryHeads(parts.get(0), h);
      NDArray kNew = parts.get(1).reshape(b, 1, h, hd).transpose(0, 2, 1, 3);
      NDArray vNew = parts.get(2).reshape(b, 1, h, hd).transpose(0, 2, 1, 3);
      cache.selfK[i] = cache.selfK[i] == null ? kNew : cache.selfK[i].concat(kNew, 2);
      cache.selfV[i] = cache.selfV[i] == null ? vNew : cache.selfV[i].concat(vNew, 2);
      a = merge(attend(qh, cache.selfK[i].transpose(0, 1, 3, 2), cache.selfV[i], null, train));
    }
    a = lin(a, p + SELF_OUT_W, d, qkvDim, p + SELF_OUT_B, d);
    y = norm(y.add(drop(a, dropouts.dropout(), train)), p + LN1, d);
    int he = c.decoderEndeAttentionHeads().get(i);
    NDArray q =
        Linear.linear(
                y,
                slice2(weights.get(p + ENDE_Q_W), qkvDim, d),
                weights.get(p + ENDE_IN_B).get("0:" + qkvDim))
            .head();
    a = merge(attend(queryHeads(q, he), ende.kT, ende.v, ende.mask, train));
    a = lin(a, p + ENDE_OUT_W, d, qkvDim, p + ENDE_OUT_B, d);
    y = norm(y.add(drop(a, dropouts.dropout(), train)), p + LN2, d);
    return norm(
        y.add(ffn(y, p, d, c.decoderFfnEmbedDim().get(i), c.decoderActivationAt(i), train)),
        p + LN3,
        d);
  }

  /**
   * Ende attention keys (transposed, {@code [B, H, hd, S']}), values {@code [B, H, S', hd]} and key
   * mask.
   */
  private record EndeHeads(NDArray kT, NDArray v, NDArray mask) {}

  /**
   * Projects decoder layer {@code i}'s encoder-side keys and values (encoder embed dim) and splits
   * heads.
   */
  private EndeHeads endeHeads(SubConfig c, int i, Encoded enc) {
    String p = dec(i);
    int e = c.encoderEmbedDim();
    NDList kvm = enc.endeInput(c, i);
    NDArray kv = kvm.get(0);
    NDArray b = weights.get(p + ENDE_IN_B);
    NDArray k =
        Linear.linear(
                kv, slice2(weights.get(p + ENDE_K_W), qkvDim, e), b.get(qkvDim + ":" + 2 * qkvDim))
            .head();
    NDArray v =
        Linear.linear(
                kv,
                slice2(weights.get(p + ENDE_V_W), qkvDim, e),
                b.get(2 * qkvDim + ":" + 3 * qkvDim))
            .head();
    int h = c.decoderEndeAttentionHeads().get(i);
    int hd = qkvDim / h;
    long bs = k.getShape().get(0);
    long s = k.getShape().get(1);
    return new EndeHeads(
        k.reshape(bs, s, h, hd).transpose(0, 2, 3, 1),
        v.reshape(bs, s, h, hd).transpose(0, 2, 1, 3),
        kvm.get(1));
  }

  private NDArray outputProjection(NDArray y, int d) {
    return Linear.linear(y, slice2(weights.get(EMBED), vocabSize, d)).singletonOrThrow();
  }

  private NDArray ffn(NDArray x, String p, int dim, int ffnDim, Activation act, boolean train) {
    NDArray h = lin(x, p + FC1_W, ffnDim, dim, p + FC1_B, ffnDim);
    h =
        switch (act) {
          case RELU -> ai.djl.nn.Activation.relu(h);
          case SQUARED_RELU -> {
            NDArray r = ai.djl.nn.Activation.relu(h);
            yield r.mul(r);
          }
          case GELU -> ai.djl.nn.Activation.gelu(h); // PyTorch's exact (erf) form
        };
    h = drop(h, dropouts.relu(), train);
    h = lin(h, p + FC2_W, dim, ffnDim, p + FC2_B, dim);
    return drop(h, dropouts.dropout(), train);
  }

  /**
   * Depthwise convolution over time of {@code x} [B, T, C] with kernels {@code w} [C, K] and zero
   * padding: output t is sum_k w[:, k] * x[t - K + 1 + k] (causal) or x[t - K/2 + k] (centred).
   * Returns [B, T, C].
   */
  private static NDArray dconv(NDArray x, NDArray w, boolean causal) {
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    long c = x.getShape().get(2);
    int k = (int) w.getShape().get(1);
    int before = causal ? k - 1 : k / 2;
    int after = k - 1 - before;
    NDArray xp = x;
    if (before > 0) {
      xp = x.getManager().zeros(new Shape(b, before, c), x.getDataType()).concat(xp, 1);
    }
    if (after > 0) {
      xp = xp.concat(x.getManager().zeros(new Shape(b, after, c), x.getDataType()), 1);
    }
    NDArray y = null;
    for (int j = 0; j < k; j++) {
      NDArray term =
          xp.get(new NDIndex(":, " + j + ":" + (j + t) + ", :")).mul(w.get(new NDIndex(":, " + j)));
      y = y == null ? term : y.add(term);
    }
    return y;
  }

  /**
   * Multi-head attention on projected q [B,T,Q], k/v [B,S,Q]; mask broadcastable to [B,H,T,S].
   * Returns [B,T,Q].
   */
  private NDArray attention(
      NDArray q, NDArray k, NDArray v, int heads, NDArray mask, boolean train) {
    long b = q.getShape().get(0);
    long s = k.getShape().get(1);
    int hd = qkvDim / heads;
    NDArray kh = k.reshape(b, s, heads, hd).transpose(0, 2, 3, 1);
    NDArray vh = v.reshape(b, s, heads, hd).transpose(0, 2, 1, 3);
    return merge(attend(queryHeads(q, heads), kh, vh, mask, train));
  }

  /** Scaled query [B,T,Q] to [B,H,T,hd]. */
  private NDArray queryHeads(NDArray q, int heads) {
    int hd = qkvDim / heads;
    return Scalars.times(q, Math.pow(hd, -0.5))
        .reshape(q.getShape().get(0), q.getShape().get(1), heads, hd)
        .transpose(0, 2, 1, 3);
  }

  /** [B,H,T,hd] to [B,T,Q]. */
  private NDArray merge(NDArray x) {
    return x.transpose(0, 2, 1, 3).reshape(x.getShape().get(0), x.getShape().get(2), qkvDim);
  }

  /** qh [B,H,T,hd], khT [B,H,hd,S], vh [B,H,S,hd] to [B,H,T,hd]. */
  private NDArray attend(NDArray qh, NDArray khT, NDArray vh, NDArray mask, boolean train) {
    NDArray w = qh.matMul(khT);
    if (mask != null) {
      w = w.add(mask);
    }
    w = drop(w.softmax(-1), dropouts.attention(), train);
    return w.matMul(vh);
  }

  private NDArray embed(NDArray tokens, int dim, int firstPosition) {
    NDArray table = slice2(weights.get(EMBED), vocabSize, dim);
    NDArray x =
        Scalars.times(
            Embedding.embedding(tokens, table, ai.djl.ndarray.types.SparseFormat.DENSE)
                .singletonOrThrow(),
            Math.sqrt(dim));
    long t = tokens.getShape().get(1);
    // HAT slices the SuperTransformer's position table (positions[..., :sample_embed_dim]) rather
    // than building
    // one per sampled dim: every channel keeps one frequency and phase across SubTransformers.
    NDArray pos = Sinusoids.table(tokens.getManager(), firstPosition, (int) t, positionDim);
    return x.add(dim == positionDim ? pos : pos.get(new NDIndex(":, :" + dim)));
  }

  private NDArray lin(NDArray x, String w, int out, int in, String b, int bOut) {
    NDArray wt = slice2(weights.get(w), out, in);
    NDArray bias = slice1(weights.get(b), bOut);
    return Linear.linear(x, wt, bias).singletonOrThrow();
  }

  private NDArray norm(NDArray x, String p, int dim) {
    return LayerNorm.layerNorm(
            x,
            new Shape(dim),
            slice1(weights.get(p + GAIN), dim),
            slice1(weights.get(p + BIAS), dim),
            1e-5f)
        .singletonOrThrow();
  }

  private static NDArray slice2(NDArray w, int out, int in) {
    Shape s = w.getShape();
    if (s.get(0) == out && s.get(1) == in) {
      return w;
    }
    return w.get(new NDIndex(":" + out + ", :" + in));
  }

  private static NDArray slice1(NDArray w, int n) {
    return w.getShape().get(0) == n ? w : w.get(new NDIndex(":" + n));
  }

  private static NDArray drop(NDArray x, float rate, boolean train) {
    if (!train || rate == 0f) {
      return x;
    }
    return Dropout.dropout(x, rate, true).singletonOrThrow();
  }

  // ---------------------------------------------------------------- incremental decoding

  /**
   * Decoder state for incremental decoding: per active layer the self-attention keys/values so far
   * ({@code [B, H, t, hd]}) and the encoder-side keys/values, projected once ({@code [B, H, S',
   * hd]}).
   */
  public final class DecoderState {
    final SubConfig config;
    final NDArray[] selfK;
    final NDArray[] selfV;
    final EndeHeads[] ende;

    /**
     * Per layer with a causal convolution: its last 2 unconvolved Q/K/V projections {@code [B, 2, 3
     * * qkv]}.
     */
    final NDArray[] convIn;

    int steps;

    DecoderState(SubConfig c, int layers) {
      config = c;
      selfK = new NDArray[layers];
      selfV = new NDArray[layers];
      ende = new EndeHeads[layers];
      convIn = new NDArray[layers];
    }

    public int steps() {
      return steps;
    }

    /** Keeps rows {@code order} (int64 [B']) of every cache: beam search's reordering. */
    public void reorder(NDArray order) {
      NDIndex rows = new NDIndex("{}", order);
      for (int i = 0; i < selfK.length; i++) {
        if (selfK[i] != null) {
          selfK[i] = selfK[i].get(rows);
          selfV[i] = selfV[i].get(rows);
        }
        if (convIn[i] != null) {
          convIn[i] = convIn[i].get(rows);
        }
        ende[i] = new EndeHeads(ende[i].kT.get(rows), ende[i].v.get(rows), ende[i].mask.get(rows));
      }
    }
  }

  /** Projects the encoder-side keys/values of every decoder layer once (eval mode). */
  public DecoderState startDecoding(SubConfig c, Encoded enc) {
    check(c);
    DecoderState st = new DecoderState(c, c.decoderLayerNum());
    for (int i = 0; i < c.decoderLayerNum(); i++) {
      st.ende[i] = endeHeads(c, i, enc);
    }
    return st;
  }

  /**
   * One decoder step: tokens {@code [B]} (int64) at position {@code st.steps()}; returns logits
   * {@code [B, V]}.
   */
  public NDArray step(DecoderState st, NDArray tokens) {
    SubConfig c = st.config;
    int d = c.decoderEmbedDim();
    NDArray y = embed(tokens.reshape(-1, 1), d, st.steps);
    long b = y.getShape().get(0);
    for (int i = 0; i < c.decoderLayerNum(); i++) {
      y = decoderLayer(c, i, y, null, st.ende[i], st, false);
    }
    st.steps++;
    return outputProjection(y, d).reshape(b, vocabSize);
  }

  // ---------------------------------------------------------------- extraction support

  /**
   * The weights of {@code c} copied into a new standalone model of shape {@code c} (no shared
   * storage).
   */
  public SuperTransformer extract(NDManager parent, SubConfig c) {
    check(c);
    SubConfig a = c.active();
    SuperTransformer out = uninitialised(parent, a, qkvDim, vocabSize, dropouts, positionDim);
    for (var e : out.weights.all().entrySet()) {
      NDArray src = weights.get(e.getKey());
      Shape s = e.getValue().getShape();
      NDArray sl =
          s.dimension() == 2
              ? slice2(src, (int) s.get(0), (int) s.get(1))
              : slice1(src, (int) s.get(0));
      e.getValue().set(sl.toByteBuffer());
    }
    return out;
  }

  @Override
  public void close() {
    weights.close();
  }
}
