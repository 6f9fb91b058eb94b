package io.hatflow.model.predictor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The default's linear model + trees blended with a {@link SmallMlp}: (1 - w) × trees + w × MLP, w
 * chosen on the valid rows. Saved as the trees' params plus a {@code blend} object (weight and MLP
 * weights); the model bytes are the trees'.
 */
final class BlendPredictor implements FittedModel {
  private final GbdtPredictor trees;
  private final java.util.List<SmallMlp> mlps;
  private final double w;
  private final String note;

  BlendPredictor(GbdtPredictor trees, java.util.List<SmallMlp> mlps, double w, String note) {
    this.trees = trees;
    this.mlps = java.util.List.copyOf(mlps);
    this.w = w;
    this.note = note;
  }

  /** How the weight was chosen (for the fit's selection text; not saved). */
  String note() {
    return note;
  }

  GbdtPredictor trees() {
    return trees;
  }

  /** The same models with another MLP weight. */
  BlendPredictor withWeight(double weight) {
    return new BlendPredictor(trees, mlps, weight, note);
  }

  double mlpWeight() {
    return w;
  }

  @Override
  public double predictMs(double[] f) {
    return predictBatch(new double[][] {f})[0];
  }

  @Override
  public double[] predictBatch(double[][] f) {
    double[] out = w == 1 ? new double[f.length] : trees.predictBatch(f);
    for (int i = 0; i < out.length; i++) {
      out[i] = (1 - w) * out[i] + w * mlpMs(mlps, f[i]);
    }
    return out;
  }

  /** The MLPs' mean prediction. */
  static double mlpMs(java.util.List<SmallMlp> mlps, double[] f) {
    double s = 0;
    for (SmallMlp m : mlps) {
      s += m.predictMs(f);
    }
    return s / mlps.size();
  }

  @Override
  public String name() {
    return trees.name();
  }

  @Override
  public FeatureSet featureSet() {
    return trees.featureSet();
  }

  @Override
  public byte[] modelBytes() {
    return trees.modelBytes();
  }

  @Override
  public ObjectNode params() {
    ObjectNode o = trees.params();
    ObjectNode b = o.putObject("blend");
    b.put("mlp_weight", w);
    com.fasterxml.jackson.databind.node.ArrayNode a = b.putArray("mlps");
    mlps.forEach(m -> a.add(m.params()));
    return o;
  }

  static BlendPredictor restore(String name, FeatureSet fs, JsonNode p, byte[] bytes) {
    JsonNode b = p.get("blend");
    java.util.List<SmallMlp> mlps = new java.util.ArrayList<>();
    b.path("mlps").forEach(m -> mlps.add(SmallMlp.restore(m)));
    return new BlendPredictor(
        GbdtPredictor.restore(name, fs, p, bytes), mlps, b.path("mlp_weight").asDouble(), "");
  }
}
