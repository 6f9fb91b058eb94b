package io.hatflow.core.search;

import java.io.Serializable;

/**
 * Opens a {@link Fitness}: shipped to every worker, opened once per worker (a DoFn's
 * {@code @Setup}), so the SuperTransformer checkpoint is loaded once per worker, never per element.
 */
@FunctionalInterface
public interface FitnessFactory extends Serializable {
  Fitness open();
}
