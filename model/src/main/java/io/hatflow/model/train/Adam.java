package io.hatflow.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.hatflow.model.transformer.Weights;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam as fairseq's (no weight decay, eps 1e-8, bias-corrected), on the whole parameter arrays:
 * rows outside the sampled slice get zero gradients and still move by their momentum, as in HAT's
 * PyTorch training. Own code rather than DJL's Optimizer so the moments are plain arrays that
 * checkpoint with the weights. Holds moments only for the arrays it is given: a sparse fine-tuning
 * ({@link Trainable}) passes the updated ones only.
 */
final class Adam {
  private final List<NDArray> params;
  private final NDList m = new NDList();
  private final NDList v = new NDList();
  private final double beta1;
  private final double beta2;
  private static final double EPS = 1e-8;

  /** Restores saved moments (same order as the weights). */
  Adam(Weights w, double beta1, double beta2, NDList m, NDList v) {
    this(new ArrayList<>(w.all().values()), beta1, beta2, m, v);
  }

  Adam(Weights w, NDManager manager, double beta1, double beta2) {
    this(new ArrayList<>(w.all().values()), manager, beta1, beta2);
  }

  /** Restores saved moments of {@code params} (same order). */
  Adam(List<NDArray> params, double beta1, double beta2, NDList m, NDList v) {
    this.params = new ArrayList<>(params);
    this.beta1 = beta1;
    this.beta2 = beta2;
    if (m.size() != params.size() || v.size() != params.size()) {
      throw new IllegalArgumentException(
          "optimizer state has "
              + m.size()
              + " arrays, the model has "
              + this.params.size()
              + " updated");
    }
    this.m.addAll(m);
    this.v.addAll(v);
  }

  Adam(List<NDArray> params, NDManager manager, double beta1, double beta2) {
    this.params = new ArrayList<>(params);
    this.beta1 = beta1;
    this.beta2 = beta2;
    for (NDArray p : params) {
      m.add(manager.zeros(p.getShape()));
      v.add(manager.zeros(p.getShape()));
    }
  }

  NDList moments1() {
    return m;
  }

  NDList moments2() {
    return v;
  }

  /** Applies update number {@code t} (1-based) with gradients scaled by {@code gradScale}. */
  void update(long t, double lr, float gradScale) {
    double bc1 = 1 - Math.pow(beta1, t);
    double bc2 = 1 - Math.pow(beta2, t);
    float stepSize = (float) (lr / bc1);
    float sqrtBc2 = (float) Math.sqrt(bc2);
    for (int i = 0; i < params.size(); i++) {
      NDArray p = params.get(i);
      NDArray g = p.getGradient();
      if (gradScale != 1f) {
        g = g.mul(gradScale);
      }
      m.get(i).muli((float) beta1).addi(g.mul((float) (1 - beta1)));
      v.get(i).muli((float) beta2).addi(g.square().muli((float) (1 - beta2)));
      NDArray denom = v.get(i).sqrt().divi(sqrtBc2).addi((float) EPS);
      p.subi(m.get(i).div(denom).muli(stepSize));
    }
  }
}
