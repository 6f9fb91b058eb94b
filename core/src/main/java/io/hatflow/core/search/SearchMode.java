package io.hatflow.core.search;

import java.util.Locale;

/**
 * How a target is searched. {@link #HAT}: HAT's evolution, one search per (target, budget), the
 * winner the best config under its budget. {@link #NSGA2}: one multi-objective search per target
 * over (validation loss, predicted latency), constrained to the target's largest budget; every
 * budget's winner is picked from the final front.
 */
public enum SearchMode {
  HAT,
  NSGA2;

  /** The spec's spelling: {@code hat} or {@code nsga2}. */
  public String specName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static SearchMode of(String specName) {
    return valueOf(specName.toUpperCase(Locale.ROOT));
  }
}
