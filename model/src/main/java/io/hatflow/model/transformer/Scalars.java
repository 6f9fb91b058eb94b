package io.hatflow.model.transformer;

import ai.djl.ndarray.NDArray;

/**
 * {@code x * s} for graphs that are back-propagated. DJL's {@code NDArray.mul(Number)} wraps the
 * scalar in a tensor over a direct ByteBuffer ({@code torch::from_blob}, no copy) and closes it as
 * soon as the product is computed; autograd still holds that tensor for the backward pass, so once
 * the buffer is collected the gradient reads freed memory. That was our sporadic NaN / 1e20
 * gradients and the run-to-run differences in training. Here the scalar belongs to {@code x}'s
 * manager (and to the enclosing NDScope), so it outlives the backward pass.
 */
public final class Scalars {
  private Scalars() {}

  public static NDArray times(NDArray x, double s) {
    return x.mul(x.getManager().create((float) s));
  }

  public static NDArray over(NDArray x, double s) {
    return x.div(x.getManager().create((float) s));
  }
}
