package io.hatflow.model.predictor;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/**
 * Accuracy of a latency predictor on some rows.
 *
 * @param mapdPct mean absolute percentage deviation, |pred - true| / true, in percent (HAT's MAPD)
 * @param within5Pct share of rows (percent) predicted within 5% of the measured latency
 * @param kendallTau rank agreement between predicted and measured latency (what the search relies
 *     on)
 */
public record Metrics(
    int n,
    double rmseMs,
    double mapdPct,
    double within5Pct,
    double within10Pct,
    double r2,
    double kendallTau) {

  /**
   * Exactly {@code
   * {"n":..,"rmse_ms":..,"mapd_pct":..,"within_5_pct":..,"within_10_pct":..,"r2":..,"kendall_tau":..}}.
   */
  public String toJson() {
    return String.format(
        Locale.ROOT,
        "{\"n\":%d,\"rmse_ms\":%s,\"mapd_pct\":%s,\"within_5_pct\":%s,\"within_10_pct\":%s,\"r2\":%s,\"kendall_tau\":%s}",
        n,
        num(rmseMs),
        num(mapdPct),
        num(within5Pct),
        num(within10Pct),
        num(r2),
        num(kendallTau));
  }

  private static String num(double x) {
    if (Double.isNaN(x) || Double.isInfinite(x)) {
      return "null";
    }
    return new BigDecimal(x).round(new MathContext(6)).stripTrailingZeros().toPlainString();
  }
}
