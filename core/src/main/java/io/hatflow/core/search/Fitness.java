package io.hatflow.core.search;

import io.hatflow.core.space.SubConfig;

/**
 * What the search minimises: the SubTransformer's validation loss with weights inherited from the
 * SuperTransformer. Must be a deterministic function of (checkpoint, config, validation subset):
 * the search ranks on it rounded to {@link SearchConfig#fitnessPrecision()}, but the value itself
 * should not depend on thread counts or evaluation order. One instance is used by one thread at a
 * time.
 */
public interface Fitness extends AutoCloseable {
  double validLoss(SubConfig config);

  @Override
  default void close() {}
}
