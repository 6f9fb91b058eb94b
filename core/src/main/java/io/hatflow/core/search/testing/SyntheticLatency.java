package io.hatflow.core.search.testing;

import io.hatflow.core.search.LatencyModel;
import io.hatflow.core.search.LatencyModelFactory;
import io.hatflow.core.space.Features;
import io.hatflow.core.space.SubConfig;

/**
 * SYNTHETIC TEST DOUBLE, not a predictor: latency as a linear function of HAT's 10 features ({@link
 * Features#of}), scaled per target, for tests and benchmarks. The real models are the latency
 * predictors of module model.
 */
public final class SyntheticLatency implements LatencyModel {
  /**
   * Weights per feature, in {@link Features#NAMES} order: the decoder layer count dominates, as in
   * HAT's data.
   */
  static final double[] WEIGHTS = {0.01, 1.0, 0.004, 0.2, 0.02, 4.0, 0.01, 0.3, 0.3, 1.0};

  static final double BIAS = 2.0;

  private final double scale;

  public SyntheticLatency(double scale) {
    this.scale = scale;
  }

  /** A factory for a target whose latencies are {@code scale} times the reference target's. */
  public static LatencyModelFactory factory(double scale) {
    return () -> new SyntheticLatency(scale);
  }

  @Override
  public double predictMs(SubConfig config) {
    double[] f = Features.of(config);
    double ms = BIAS;
    for (int i = 0; i < f.length; i++) {
      ms += WEIGHTS[i] * f[i];
    }
    return scale * ms;
  }
}
