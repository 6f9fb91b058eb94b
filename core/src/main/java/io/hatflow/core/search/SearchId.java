package io.hatflow.core.search;

import java.io.Serializable;
import java.math.BigDecimal;

/**
 * One search: a (target, latency budget) pair. {@link #name()} is {@code <target>-<budget>ms}, e.g.
 * {@code cpu-150ms}.
 */
public record SearchId(String target, double budgetMs)
    implements Serializable, Comparable<SearchId> {

  public String name() {
    return target + "-" + budgetText(budgetMs) + "ms";
  }

  /**
   * The budget as the shortest plain decimal ({@code 150}, {@code 87.5}): stable in names and
   * seeds.
   */
  public static String budgetText(double ms) {
    return BigDecimal.valueOf(ms).stripTrailingZeros().toPlainString();
  }

  @Override
  public int compareTo(SearchId o) {
    int c = target.compareTo(o.target);
    return c != 0 ? c : Double.compare(budgetMs, o.budgetMs);
  }

  @Override
  public String toString() {
    return name();
  }
}
