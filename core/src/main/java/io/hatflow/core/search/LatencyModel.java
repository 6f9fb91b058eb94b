package io.hatflow.core.search;

import io.hatflow.core.space.SubConfig;

/**
 * Predicted latency of a SubTransformer on one target, in milliseconds (e.g. a predictor on {@code
 * Features.of}).
 */
@FunctionalInterface
public interface LatencyModel {
  double predictMs(SubConfig config);
}
