package io.hatflow.pipelines.finalize;

import java.util.List;
import org.apache.commons.math3.stat.correlation.KendallsCorrelation;

/**
 * Does inherited fitness rank SubTransformers right? Kendall's τ between the inherited-weight
 * validation loss and what the models reach after finalize training. Pure functions.
 */
public final class Ranking {
  private Ranking() {}

  /**
   * One model's scores: inherited and trained validation loss (lower is better) and BLEU (higher is
   * better).
   */
  public record Scores(String name, double inheritedLoss, double trainedLoss, double bleu) {}

  /**
   * τ values: inherited loss vs trained loss, and inherited loss vs BLEU (sign flipped: 1 = same
   * order).
   */
  public record Tau(double lossVsLoss, double lossVsBleu, int models) {}

  public static Tau tau(List<Scores> s) {
    if (s.size() < 2) {
      return new Tau(Double.NaN, Double.NaN, s.size());
    }
    double[] inh = new double[s.size()];
    double[] tr = new double[s.size()];
    double[] negBleu = new double[s.size()];
    for (int i = 0; i < s.size(); i++) {
      inh[i] = s.get(i).inheritedLoss();
      tr[i] = s.get(i).trainedLoss();
      negBleu[i] = -s.get(i).bleu();
    }
    KendallsCorrelation k = new KendallsCorrelation();
    return new Tau(k.correlation(inh, tr), k.correlation(inh, negBleu), s.size());
  }

  /**
   * A winner is over budget when its measured latency exceeds the budget by more than {@code
   * tolerance} (0.1).
   */
  public static boolean overBudget(double measuredMs, double budgetMs, double tolerance) {
    return !Double.isNaN(measuredMs) && measuredMs > budgetMs * (1 + tolerance);
  }

  /** Signed error of a prediction in percent of the measured value. */
  public static double errorPct(double predictedMs, double measuredMs) {
    return 100.0 * (predictedMs - measuredMs) / measuredMs;
  }
}
