package io.hatflow.model.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * fairseq's sinusoidal positional embedding: position p (tokens start at padding_idx + 1 = 2), half
 * the channels sin, half cos (concatenated, not interleaved), frequencies exp(-k * ln(10000) /
 * (half - 1)). Computed for the active dim, as HAT's SinusoidalPositionalEmbedding is built per
 * sample dim.
 */
public final class Sinusoids {
  private Sinusoids() {}

  /** [len, dim] for token positions {@code first .. first+len-1} (0-based token index). */
  public static NDArray table(NDManager m, int first, int len, int dim) {
    int half = dim / 2;
    double f = Math.log(10000) / (half - 1);
    float[] out = new float[len * dim];
    for (int t = 0; t < len; t++) {
      int pos = first + t + 2;
      for (int k = 0; k < half; k++) {
        double a = pos * Math.exp(-k * f);
        out[t * dim + k] = (float) Math.sin(a);
        out[t * dim + half + k] = (float) Math.cos(a);
      }
    }
    return m.create(out, new Shape(len, dim));
  }
}
