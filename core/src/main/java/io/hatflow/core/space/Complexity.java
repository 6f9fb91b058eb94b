package io.hatflow.core.space;

/**
 * Model size and compute of a SubTransformer by HAT's conventions.
 *
 * <p><b>Parameters</b> ({@link #params}): HAT's {@code get_sampled_params_numel}, "SubTransformer
 * size (without embedding weights)": the sampled elements of every Linear (weight + bias),
 * LayerNorm (weight + bias) and attention input projection of the active layers. Embeddings,
 * positional embeddings and the (tied) output projection are excluded. As in HAT, every attention
 * layer counts its full input-projection bias (3 x qkv), its q/k/v weights as {@code qkvDim x} the
 * active input dim (encoder dim for the encoder-decoder keys/values), and its output projection
 * {@code qkvDim x dim + dim}.
 *
 * <p><b>FLOPs</b> ({@link #flops}): 2 x multiply-accumulates of the matrix products of one
 * teacher-forced forward pass on one sentence of {@code srcLen} source and {@code tgtLen} target
 * tokens, without the output projection (HAT's "Total FLOPs without last layer", measured there
 * with torchprofile on 30 tokens): every Linear's weight product, attention scores (QK^T) and the
 * weighted sum (AV). Encoder-decoder attention over {@code n} concatenated encoder layers sees
 * {@code n * srcLen} keys. Elementwise work (biases, layer norms, softmax, scaling), which
 * torchprofile partly counts, is left out: under 1% of the total.
 */
public final class Complexity {
  private Complexity() {}

  public static long params(SubConfig config, int qkvDim) {
    SubConfig c = config.active();
    long q = qkvDim;
    long e = c.encoderEmbedDim();
    long d = c.decoderEmbedDim();
    long n = 0;
    for (int i = 0; i < c.encoderLayerNum(); i++) {
      long f = c.encoderFfnEmbedDim().get(i);
      n += 3 * q * e + 3 * q; // self-attention q, k, v weights + in_proj bias
      n += q * e + e; // self-attention output projection
      n += 2 * e; // layer norm after attention
      n += e * f + f + f * e + e; // fc1, fc2
      n += 2 * e; // final layer norm
      n += 3 * q * c.encoderDconvAt(i); // Primer's depthwise kernels (0 without)
    }
    for (int i = 0; i < c.decoderLayerNum(); i++) {
      long f = c.decoderFfnEmbedDim().get(i);
      n += 3 * q * d + 3 * q + q * d + d + 2 * d; // self-attention + its layer norm
      n +=
          q * d + 2 * q * e + 3 * q + q * d + d
              + 2 * d; // encoder-decoder attention + its layer norm
      n += d * f + f + f * d + d + 2 * d; // FFN + its layer norm
      n += 3 * q * c.decoderDconvAt(i); // Primer's depthwise kernels
    }
    return n;
  }

  public static long flops(SubConfig config, int qkvDim, int srcLen, int tgtLen) {
    SubConfig c = config.active();
    long q = qkvDim;
    long e = c.encoderEmbedDim();
    long d = c.decoderEmbedDim();
    long s = srcLen;
    long t = tgtLen;
    long macs = 0;
    for (int i = 0; i < c.encoderLayerNum(); i++) {
      long f = c.encoderFfnEmbedDim().get(i);
      macs += s * e * 3 * q + 2 * s * s * q + s * q * e + 2 * s * e * f;
      macs += s * 3 * q * c.encoderDconvAt(i); // depthwise convolution
    }
    for (int i = 0; i < c.decoderLayerNum(); i++) {
      long f = c.decoderFfnEmbedDim().get(i);
      long kv = (long) c.endeLayersAttended(i) * s;
      macs += t * d * 3 * q + 2 * t * t * q + t * q * d; // self-attention
      macs += t * d * q + 2 * kv * e * q + 2 * t * kv * q + t * q * d; // encoder-decoder attention
      macs += 2 * t * d * f; // FFN
      macs += t * 3 * q * c.decoderDconvAt(i); // depthwise convolution
    }
    return 2 * macs;
  }
}
