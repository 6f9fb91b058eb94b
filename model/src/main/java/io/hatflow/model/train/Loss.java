package io.hatflow.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.model.transformer.Scalars;

/** fairseq's label-smoothed cross entropy, summed over non-padding target tokens (natural log). */
public final class Loss {
  private Loss() {}

  /** Returns {label-smoothed loss sum, nll sum} as scalars. */
  public static NDArray[] labelSmoothed(NDArray logits, NDArray target, double eps) {
    NDArray lprobs = logits.logSoftmax(-1);
    NDArray idx = target.expandDims(-1);
    NDArray nll = lprobs.gather(idx, 2).squeeze(-1).neg();
    NDArray smooth = lprobs.sum(new int[] {-1}).neg();
    NDArray keep = target.neq(SpecialTokens.PAD).toType(DataType.FLOAT32, false);
    nll = nll.mul(keep).sum();
    smooth = smooth.mul(keep).sum();
    long v = logits.getShape().get(2);
    NDArray loss = Scalars.times(nll, 1 - eps).add(Scalars.times(smooth, eps / v));
    return new NDArray[] {loss, nll};
  }
}
