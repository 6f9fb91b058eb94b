package io.hatflow.core.search;

import io.hatflow.core.run.UserInputException;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * One hardware target: its name, how to open its latency predictor, and the latency budgets to
 * search for.
 */
public record TargetBudgets(String name, LatencyModelFactory latency, List<Double> budgetsMs)
    implements Serializable {
  public TargetBudgets {
    Objects.requireNonNull(name, "target name");
    Objects.requireNonNull(latency, "latency model of target " + name);
    if (!io.hatflow.core.spec.Names.valid(name)) {
      throw new UserInputException("target name: " + io.hatflow.core.spec.Names.problem(name));
    }
    if (budgetsMs == null || budgetsMs.isEmpty()) {
      throw new UserInputException(
          "target " + name + ": empty budgets_ms (need at least one latency budget)");
    }
    for (Double b : budgetsMs) {
      if (b == null || !(b > 0) || b.isInfinite()) {
        throw new UserInputException(
            "target " + name + ": budget " + b + " ms is not a positive number");
      }
    }
    if (budgetsMs.stream().distinct().count() != budgetsMs.size()) {
      throw new UserInputException("target " + name + ": duplicate budget in " + budgetsMs);
    }
    budgetsMs = List.copyOf(budgetsMs);
  }

  public List<SearchId> searches() {
    return budgetsMs.stream().map(b -> new SearchId(name, b)).toList();
  }
}
