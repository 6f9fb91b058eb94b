package io.hatflow.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.hatflow.core.text.SpecialTokens;
import java.util.List;

/**
 * A padded batch in fairseq's layout: source = ids + EOS; decoder input = EOS + target ids; target
 * = ids + EOS; all right-padded with PAD. Flat row-major arrays, so turning it into NDArrays is one
 * copy each.
 */
public record Batch(
    int rows,
    int srcWidth,
    int tgtWidth,
    long[] src,
    long[] prevTgt,
    long[] target,
    int targetTokens) {

  public static Batch of(List<int[]> srcIds, List<int[]> tgtIds) {
    int n = srcIds.size();
    int sw = 0;
    int tw = 0;
    int tokens = 0;
    for (int i = 0; i < n; i++) {
      sw = Math.max(sw, srcIds.get(i).length + 1);
      tw = Math.max(tw, tgtIds.get(i).length + 1);
      tokens += tgtIds.get(i).length + 1;
    }
    long[] src = filled(n * sw);
    long[] prev = filled(n * tw);
    long[] tgt = filled(n * tw);
    for (int i = 0; i < n; i++) {
      int[] s = srcIds.get(i);
      for (int j = 0; j < s.length; j++) {
        src[i * sw + j] = s[j];
      }
      src[i * sw + s.length] = SpecialTokens.EOS;
      int[] t = tgtIds.get(i);
      prev[i * tw] = SpecialTokens.EOS;
      for (int j = 0; j < t.length; j++) {
        prev[i * tw + j + 1] = t[j];
        tgt[i * tw + j] = t[j];
      }
      tgt[i * tw + t.length] = SpecialTokens.EOS;
    }
    return new Batch(n, sw, tw, src, prev, tgt, tokens);
  }

  private static long[] filled(int n) {
    long[] a = new long[n];
    java.util.Arrays.fill(a, SpecialTokens.PAD);
    return a;
  }

  /** Padded size in tokens (what the token budget counts). */
  public int paddedTokens() {
    return rows * Math.max(srcWidth, tgtWidth);
  }

  public NDArray srcArray(NDManager m) {
    return m.create(src, new Shape(rows, srcWidth));
  }

  public NDArray prevArray(NDManager m) {
    return m.create(prevTgt, new Shape(rows, tgtWidth));
  }

  public NDArray targetArray(NDManager m) {
    return m.create(target, new Shape(rows, tgtWidth));
  }
}
