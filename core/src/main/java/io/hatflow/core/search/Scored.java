package io.hatflow.core.search;

import io.hatflow.core.space.SubConfig;

/**
 * A population member of one search after evaluation: its slot in the population (a stable identity
 * for canonical ordering), the config with all its genes, its validation loss and its predicted
 * latency on the search's target.
 */
public record Scored(int slot, SubConfig config, double fitness, double latencyMs) {
  public String key() {
    return config.key();
  }
}
