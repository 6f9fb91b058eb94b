package io.hatflow.model.predictor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.run.UserInputException;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * Gradient-boosted trees (XGBoost) on a {@link FeatureSet}, optionally on the residuals of a linear
 * base model (prediction = base + trees). The number of trees is chosen on the valid rows: trees
 * are added up to {@code maxRounds} and the prefix with the lowest valid RMSE is kept (0 trees =
 * the base model alone).
 */
public final class GbdtPredictor implements FittedModel {

  /** How the trees' target is formed. */
  public enum Base {
    NONE,
    LINEAR,
    LINEAR_RELATIVE
  }

  /** XGBoost settings; {@link #defaults()} documents the values. */
  public record Config(
      FeatureSet featureSet,
      Base base,
      int maxDepth,
      double eta,
      int maxRounds,
      double subsample,
      double colsample,
      double minChildWeight,
      double lambda,
      boolean relative) {
    /**
     * depth 3, eta 0.05, up to 600 trees, rows and columns subsampled 0.8, min child weight 5, L2
     * 1.
     */
    public static Config defaults() {
      return new Config(FeatureSet.HAT10, Base.NONE, 3, 0.05, 600, 0.8, 0.8, 5, 1, false);
    }

    public Config with(FeatureSet fs, Base b, int depth) {
      return new Config(
          fs, b, depth, eta, maxRounds, subsample, colsample, minChildWeight, lambda, relative);
    }

    /**
     * Relative: rows weighted by (mean/target)^2, so the trees minimise squared relative error, and
     * the number of trees is chosen by the valid rows' root-mean-square relative error.
     */
    public Config withRelative(boolean r) {
      return new Config(
          featureSet,
          base,
          maxDepth,
          eta,
          maxRounds,
          subsample,
          colsample,
          minChildWeight,
          lambda,
          r);
    }
  }

  private static final int ROUND_STEP = 10;

  private final String name;
  private final Config cfg;
  private final LinearPredictor base; // null when Base.NONE
  private final Booster booster;
  private final byte[] boosterBytes;
  private final int rounds;
  private final double validRmseMs;
  private final double validScore;

  private GbdtPredictor(
      String name,
      Config cfg,
      LinearPredictor base,
      byte[] boosterBytes,
      int rounds,
      double validRmseMs,
      double validScore) {
    this.name = name;
    this.cfg = cfg;
    this.base = base;
    this.boosterBytes = boosterBytes;
    this.rounds = rounds;
    this.validRmseMs = validRmseMs;
    this.validScore = validScore;
    try {
      this.booster = XGBoost.loadModel(boosterBytes);
      booster.setParam(
          "nthread", 1); // one core per caller: Beam workers run several DoFns side by side
    } catch (XGBoostError | IOException e) {
      throw new UserInputException("cannot load the XGBoost model: " + e.getMessage(), e);
    }
  }

  public static GbdtPredictor fit(
      String name,
      double[][] x,
      double[] y,
      double[][] xValid,
      double[] yValid,
      Config cfg,
      long seed) {
    LinearPredictor base =
        switch (cfg.base()) {
          case NONE -> null;
          case LINEAR -> LinearPredictor.fit(name + "-base", cfg.featureSet(), x, y, false);
          case LINEAR_RELATIVE -> LinearPredictor.fit(name + "-base", cfg.featureSet(), x, y, true);
        };
    double[] baseTrain = base == null ? new double[x.length] : base.predictBatch(x);
    double[] baseValid = base == null ? new double[xValid.length] : base.predictBatch(xValid);
    float[] label = new float[y.length];
    for (int i = 0; i < y.length; i++) {
      label[i] = (float) (y[i] - baseTrain[i]);
    }
    Map<String, Object> params = new HashMap<>();
    params.put("objective", "reg:squarederror");
    params.put("tree_method", "hist");
    params.put("max_depth", cfg.maxDepth());
    params.put("eta", cfg.eta());
    params.put("subsample", cfg.subsample());
    params.put("colsample_bytree", cfg.colsample());
    params.put("min_child_weight", cfg.minChildWeight());
    params.put("lambda", cfg.lambda());
    params.put("seed", seed);
    params.put("nthread", 1); // deterministic and frugal; 1,600 rows fit in well under a second
    params.put("verbosity", 0);
    if (base == null) {
      params.put("base_score", mean(y));
    }
    try {
      DMatrix train =
          new DMatrix(matrix(cfg.featureSet(), x), x.length, cfg.featureSet().dim(), Float.NaN);
      train.setLabel(label);
      if (cfg.relative()) {
        float[] w = new float[y.length];
        double m = mean(y);
        for (int i = 0; i < y.length; i++) {
          w[i] = (float) ((m / y[i]) * (m / y[i]));
        }
        train.setWeight(w);
      }
      Booster b = XGBoost.train(train, params, cfg.maxRounds(), new HashMap<>(), null, null);
      float[] zValid = matrix(cfg.featureSet(), xValid);
      int bestRounds = 0;
      double bestScore = score(baseValid, null, yValid, cfg.relative());
      for (int r = ROUND_STEP; r <= cfg.maxRounds(); r += ROUND_STEP) {
        float[][] p =
            b.inplace_predict(
                zValid, xValid.length, cfg.featureSet().dim(), Float.NaN, new int[] {0, r});
        double e = score(baseValid, p, yValid, cfg.relative());
        if (e < bestScore) {
          bestScore = e;
          bestRounds = r;
        }
      }
      double bestRmse =
          bestRounds == 0
              ? score(baseValid, null, yValid, false)
              : score(
                  baseValid,
                  b.inplace_predict(
                      zValid,
                      xValid.length,
                      cfg.featureSet().dim(),
                      Float.NaN,
                      new int[] {0, bestRounds}),
                  yValid,
                  false);
      byte[] bytes = b.toByteArray("ubj");
      b.dispose();
      train.dispose();
      return new GbdtPredictor(name, cfg, base, bytes, bestRounds, bestRmse, bestScore);
    } catch (XGBoostError e) {
      throw new IllegalStateException("XGBoost training failed: " + e.getMessage(), e);
    }
  }

  private static double mean(double[] y) {
    double s = 0;
    for (double v : y) {
      s += v;
    }
    return s / y.length;
  }

  /** RMSE (ms), or with {@code relative} the root-mean-square relative error. */
  private static double score(double[] base, float[][] trees, double[] y, boolean relative) {
    double se = 0;
    for (int i = 0; i < y.length; i++) {
      double e = base[i] + (trees == null ? 0 : trees[i][0]) - y[i];
      if (relative) {
        e /= y[i];
      }
      se += e * e;
    }
    return Math.sqrt(se / y.length);
  }

  private static float[] matrix(FeatureSet fs, double[][] x) {
    int d = fs.dim();
    float[] out = new float[x.length * d];
    double[] z = new double[d];
    for (int i = 0; i < x.length; i++) {
      fs.map(x[i], z);
      for (int j = 0; j < d; j++) {
        out[i * d + j] = (float) z[j];
      }
    }
    return out;
  }

  /** RMSE (ms) on the valid rows that chose the number of trees. */
  public double validRmseMs() {
    return validRmseMs;
  }

  /**
   * What chose the number of trees: valid RMSE (ms), or valid RMS relative error when {@code
   * relative}.
   */
  public double validScore() {
    return validScore;
  }

  public int rounds() {
    return rounds;
  }

  public Config config() {
    return cfg;
  }

  @Override
  public double predictMs(double[] features) {
    return predictBatch(new double[][] {features})[0];
  }

  @Override
  public double[] predictBatch(double[][] features) {
    double[] out = base == null ? new double[features.length] : base.predictBatch(features);
    if (rounds == 0 || features.length == 0) {
      return out;
    }
    float[][] p;
    try {
      synchronized (booster) { // one Booster handle; keep concurrent callers (DoFn threads) safe
        p =
            booster.inplace_predict(
                matrix(cfg.featureSet(), features),
                features.length,
                cfg.featureSet().dim(),
                Float.NaN,
                new int[] {0, rounds});
      }
    } catch (XGBoostError e) {
      throw new IllegalStateException("XGBoost prediction failed: " + e.getMessage(), e);
    }
    for (int i = 0; i < out.length; i++) {
      out[i] += p[i][0];
    }
    return out;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public FeatureSet featureSet() {
    return cfg.featureSet();
  }

  @Override
  public ObjectNode params() {
    ObjectNode o = new ObjectMapper().createObjectNode();
    o.put("base", cfg.base().name());
    o.put("max_depth", cfg.maxDepth());
    o.put("eta", cfg.eta());
    o.put("max_rounds", cfg.maxRounds());
    o.put("subsample", cfg.subsample());
    o.put("colsample_bytree", cfg.colsample());
    o.put("min_child_weight", cfg.minChildWeight());
    o.put("lambda", cfg.lambda());
    o.put("relative", cfg.relative());
    o.put("rounds", rounds);
    o.put("valid_rmse_ms", validRmseMs);
    o.put("valid_score", validScore);
    o.put("model_format", "xgboost ubj");
    if (base != null) {
      o.set("base_params", base.params());
    }
    return o;
  }

  @Override
  public byte[] modelBytes() {
    return boosterBytes.clone();
  }

  static GbdtPredictor restore(String name, FeatureSet fs, JsonNode p, byte[] bytes) {
    Base b = Base.valueOf(p.path("base").asText("NONE"));
    Config cfg =
        new Config(
            fs,
            b,
            p.path("max_depth").asInt(),
            p.path("eta").asDouble(),
            p.path("max_rounds").asInt(),
            p.path("subsample").asDouble(),
            p.path("colsample_bytree").asDouble(),
            p.path("min_child_weight").asDouble(),
            p.path("lambda").asDouble(),
            p.path("relative").asBoolean());
    LinearPredictor base =
        b == Base.NONE ? null : LinearPredictor.restore(name + "-base", fs, p.get("base_params"));
    return new GbdtPredictor(
        name,
        cfg,
        base,
        bytes,
        p.path("rounds").asInt(),
        p.path("valid_rmse_ms").asDouble(),
        p.path("valid_score").asDouble());
  }
}
