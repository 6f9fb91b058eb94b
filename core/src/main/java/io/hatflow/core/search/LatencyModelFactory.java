package io.hatflow.core.search;

import java.io.Serializable;

/** Opens a target's {@link LatencyModel}: shipped to workers and opened once per worker. */
@FunctionalInterface
public interface LatencyModelFactory extends Serializable {
  LatencyModel open();

  /**
   * What distinguishes this model from another of the same target (e.g. the digest of a fitted
   * predictor): part of the search state's key, so a refitted predictor never resumes a search bred
   * under the old one.
   */
  default String identity() {
    return "";
  }
}
