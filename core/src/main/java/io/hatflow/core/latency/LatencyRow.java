package io.hatflow.core.latency;

import io.hatflow.core.space.Features;
import java.util.Arrays;

/**
 * One row of HAT's latency dataset: the 10 features of {@link Features#NAMES} and the measured
 * encoder and decoder latencies in milliseconds (mean and standard deviation over the timed runs).
 */
public record LatencyRow(
    double[] features,
    double meanEncoderMs,
    double meanDecoderMs,
    double stdEncoderMs,
    double stdDecoderMs) {

  public LatencyRow {
    if (features.length != Features.NAMES.size()) {
      throw new IllegalArgumentException(
          "a latency row has " + Features.NAMES.size() + " features, got " + features.length);
    }
    features = features.clone();
  }

  /**
   * The predictor's target: encoder + decoder mean latency, as HAT's latency_predictor.py sums
   * them.
   */
  public double targetMs() {
    return meanEncoderMs + meanDecoderMs;
  }

  @Override
  public double[] features() {
    return features.clone();
  }

  /** Feature {@code i} without copying the array. */
  public double feature(int i) {
    return features[i];
  }

  /** All 14 values in HAT's CSV column order. */
  public double[] values() {
    double[] v = Arrays.copyOf(features, features.length + 4);
    v[features.length] = meanEncoderMs;
    v[features.length + 1] = meanDecoderMs;
    v[features.length + 2] = stdEncoderMs;
    v[features.length + 3] = stdDecoderMs;
    return v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LatencyRow r && Arrays.equals(values(), r.values());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(values());
  }

  @Override
  public String toString() {
    return "LatencyRow" + Arrays.toString(values());
  }
}
