package io.hatflow.core.search;

import java.io.Serializable;

/** Opens a target's {@link LatencyModel}: shipped to workers and opened once per worker. */
@FunctionalInterface
public interface LatencyModelFactory extends Serializable {
  LatencyModel open();
}
