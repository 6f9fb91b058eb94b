package io.hatflow.core.search;

import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import java.util.Random;

/**
 * The predicted-latency range of a space on one target: the smallest and largest configs plus
 * random samples (a learned predictor need not be monotonic, so the extremes alone could miss the
 * minimum).
 */
public record LatencyRange(double minMs, double maxMs) {

  public static LatencyRange estimate(
      SearchSpace space, LatencyModel model, long seed, int samples) {
    double lo = Math.min(model.predictMs(space.smallest()), model.predictMs(space.largest()));
    double hi = Math.max(model.predictMs(space.smallest()), model.predictMs(space.largest()));
    Random r = Rng.derive(seed, -1, "latency-range", 0, 0, "range");
    for (int i = 0; i < samples; i++) {
      SubConfig c = space.sample(r);
      double ms = model.predictMs(c);
      lo = Math.min(lo, ms);
      hi = Math.max(hi, ms);
    }
    return new LatencyRange(lo, hi);
  }

  /**
   * Throws {@link BudgetBelowMinimumException} if the budget is below the smallest latency seen.
   */
  public void checkBudget(String target, double budgetMs) {
    if (budgetMs < minMs) {
      throw new BudgetBelowMinimumException(target, budgetMs, minMs);
    }
  }

  /** A latency budget that no SubTransformer of the space can meet on a target. */
  public static final class BudgetBelowMinimumException extends UserInputException {
    public BudgetBelowMinimumException(String target, double budgetMs, double minMs) {
      super(
          String.format(
              java.util.Locale.ROOT,
              "target %s: budget %s ms is below the minimum predicted latency of the search space (%.3f ms);"
                  + " raise the budget or shrink the space",
              target,
              SearchId.budgetText(budgetMs),
              minMs));
    }
  }
}
