package io.hatflow.model.predictor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.commons.math3.stat.regression.OLSMultipleLinearRegression;

/**
 * Least squares on a {@link FeatureSet}: {@code linear} on HAT's 10 features, or the "physical"
 * model on the interaction features. Columns are standardised on the training rows; a tiny ridge
 * term (added as extra rows, so commons-math's QR-based OLS still solves it) keeps constant or
 * collinear columns (e.g. encoder_layer_num, always 6 in HAT's WMT data) from making the system
 * singular.
 */
public final class LinearPredictor implements FittedModel {
  static final double RIDGE = 1e-6;

  private final String name;
  private final FeatureSet featureSet;
  private final boolean relative;
  private final double[] mean;
  private final double[] scale;
  private final double[] coef;
  private final double intercept;
  private final double floorMs;

  LinearPredictor(
      String name,
      FeatureSet featureSet,
      boolean relative,
      double[] mean,
      double[] scale,
      double[] coef,
      double intercept,
      double floorMs) {
    this.name = name;
    this.featureSet = featureSet;
    this.relative = relative;
    this.mean = mean;
    this.scale = scale;
    this.coef = coef;
    this.intercept = intercept;
    this.floorMs = floorMs;
  }

  /**
   * This fit, never predicting faster than the fastest row it was fitted on. With a few dozen noisy
   * rows a least-squares fit can extrapolate towards the space's smallest configs down to negative
   * latencies (seen on a slow EPYC: -50 ms), which would make every budget meaningless; a measured
   * floor keeps them physical.
   */
  public LinearPredictor flooredAtFastest(double[] y) {
    double min = Double.POSITIVE_INFINITY;
    for (double v : y) {
      min = Math.min(min, v);
    }
    return new LinearPredictor(name, featureSet, relative, mean, scale, coef, intercept, min);
  }

  /**
   * @param relative weight each row by 1/target, i.e. minimise squared <em>relative</em> error
   *     (latency noise grows with latency)
   */
  public static LinearPredictor fit(
      String name, FeatureSet fs, double[][] x, double[] y, boolean relative) {
    int n = x.length, d = fs.dim();
    double[][] z = new double[n][];
    for (int i = 0; i < n; i++) {
      z[i] = fs.map(x[i]);
    }
    double[] mean = new double[d], scale = new double[d];
    for (int j = 0; j < d; j++) {
      double s = 0, ss = 0;
      for (double[] r : z) {
        s += r[j];
      }
      mean[j] = s / n;
      for (double[] r : z) {
        ss += (r[j] - mean[j]) * (r[j] - mean[j]);
      }
      double sd = Math.sqrt(ss / n);
      scale[j] = sd > 1e-12 * Math.max(1, Math.abs(mean[j])) ? sd : 1;
    }
    double ridge = Math.sqrt(RIDGE * n);
    double[][] a = new double[n + d][d + 1];
    double[] b = new double[n + d];
    for (int i = 0; i < n; i++) {
      double w = relative ? 1 / y[i] : 1;
      a[i][0] = w;
      for (int j = 0; j < d; j++) {
        a[i][j + 1] = w * (z[i][j] - mean[j]) / scale[j];
      }
      b[i] = w * y[i];
    }
    for (int j = 0; j < d; j++) {
      a[n + j][j + 1] = ridge * (relative ? 1 / mean(y) : 1);
    }
    OLSMultipleLinearRegression ols = new OLSMultipleLinearRegression();
    ols.setNoIntercept(true);
    ols.newSampleData(b, a);
    double[] beta = ols.estimateRegressionParameters();
    double[] coef = new double[d];
    System.arraycopy(beta, 1, coef, 0, d);
    return new LinearPredictor(
        name, fs, relative, mean, scale, coef, beta[0], Double.NEGATIVE_INFINITY);
  }

  private static double mean(double[] y) {
    double s = 0;
    for (double v : y) {
      s += v;
    }
    return s / y.length;
  }

  @Override
  public double predictMs(double[] features) {
    double[] z = featureSet.map(features);
    double p = intercept;
    for (int j = 0; j < z.length; j++) {
      p += coef[j] * (z[j] - mean[j]) / scale[j];
    }
    return Math.max(floorMs, p);
  }

  @Override
  public double[] predictBatch(double[][] features) {
    double[] out = new double[features.length];
    double[] z = new double[featureSet.dim()];
    for (int i = 0; i < out.length; i++) {
      featureSet.map(features[i], z);
      double p = intercept;
      for (int j = 0; j < z.length; j++) {
        p += coef[j] * (z[j] - mean[j]) / scale[j];
      }
      out[i] = Math.max(floorMs, p);
    }
    return out;
  }

  /**
   * The prediction split in two (without the floor): the intercept plus the terms whose derived
   * feature is not in {@code mask}, and the terms whose feature is (e.g. the decoder's per-layer
   * terms).
   */
  double[][] splitBatch(double[][] features, boolean[] mask) {
    double[][] out = new double[features.length][2];
    double[] z = new double[featureSet.dim()];
    for (int i = 0; i < out.length; i++) {
      featureSet.map(features[i], z);
      out[i][0] = intercept;
      for (int j = 0; j < z.length; j++) {
        out[i][mask[j] ? 1 : 0] += coef[j] * (z[j] - mean[j]) / scale[j];
      }
    }
    return out;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public FeatureSet featureSet() {
    return featureSet;
  }

  @Override
  public ObjectNode params() {
    ObjectNode o = new ObjectMapper().createObjectNode();
    o.put("relative_weights", relative);
    o.put("intercept", intercept);
    Json.putArray(o, "feature_mean", mean);
    Json.putArray(o, "feature_scale", scale);
    Json.putArray(o, "coef_standardised", coef);
    if (floorMs > Double.NEGATIVE_INFINITY) {
      o.put("floor_ms", floorMs);
    }
    return o;
  }

  @Override
  public byte[] modelBytes() {
    return new byte[0]; // everything is in params
  }

  static LinearPredictor restore(String name, FeatureSet fs, JsonNode p) {
    return new LinearPredictor(
        name,
        fs,
        p.path("relative_weights").asBoolean(),
        Json.doubles(p, "feature_mean"),
        Json.doubles(p, "feature_scale"),
        Json.doubles(p, "coef_standardised"),
        p.path("intercept").asDouble(),
        p.has("floor_ms") ? p.path("floor_ms").asDouble() : Double.NEGATIVE_INFINITY);
  }
}
