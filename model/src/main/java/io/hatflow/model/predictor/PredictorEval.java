package io.hatflow.model.predictor;

import io.hatflow.core.latency.LatencyRow;
import io.hatflow.core.latency.LatencyTable;
import java.util.List;
import org.apache.commons.math3.stat.correlation.KendallsCorrelation;

/** Scores a predictor against measured latencies. */
public final class PredictorEval {
  private PredictorEval() {}

  public static Metrics eval(LatencyPredictor p, List<LatencyRow> rows) {
    double[] y = LatencyTable.targetsMs(rows);
    return metrics(p.predictBatch(LatencyTable.features(rows)), y);
  }

  public static Metrics metrics(double[] pred, double[] y) {
    int n = y.length;
    if (n == 0 || pred.length != n) {
      throw new IllegalArgumentException("need equal, non-empty prediction and target arrays");
    }
    double se = 0, ape = 0, mean = 0;
    int in5 = 0, in10 = 0;
    for (int i = 0; i < n; i++) {
      double e = pred[i] - y[i];
      double rel = Math.abs(e) / y[i];
      se += e * e;
      ape += rel;
      in5 += rel <= 0.05 ? 1 : 0;
      in10 += rel <= 0.10 ? 1 : 0;
      mean += y[i];
    }
    mean /= n;
    double ss = 0;
    for (double v : y) {
      ss += (v - mean) * (v - mean);
    }
    double tau = n < 2 ? Double.NaN : new KendallsCorrelation().correlation(pred, y);
    return new Metrics(
        n,
        Math.sqrt(se / n),
        100 * ape / n,
        100.0 * in5 / n,
        100.0 * in10 / n,
        ss == 0 ? Double.NaN : 1 - se / ss,
        tau);
  }
}
