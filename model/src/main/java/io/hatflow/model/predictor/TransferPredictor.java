package io.hatflow.model.predictor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A predictor for a new device made from another device's latency model ({@link TransferFit}): the
 * source's encoder and decoder models (relative-error least squares on the interaction features,
 * fitted on all of the source's rows), each part scaled to the new device (with {@code
 * splitDecoder}, the decoder's per-layer terms and its per-model rest, e.g. the output projection,
 * scaled apart), times {@code 1 + r(x)}, a ridge-regularised linear correction on HAT's 10 features
 * fitted to the new device's few rows' relative residuals.
 */
public final class TransferPredictor implements FittedModel {
  public static final String NAME = "transfer";

  private final LinearPredictor encoder;
  private final LinearPredictor decoder;
  private final boolean splitDecoder;
  private final double[] scales; // encoder, decoder (or decoder per-layer terms, decoder rest)
  private final double[] resMean;
  private final double[] resScale;
  private final double[] resCoef; // [0] = intercept, then one per HAT feature (standardised)
  private final double ridge;
  private final String source;

  TransferPredictor(
      LinearPredictor encoder,
      LinearPredictor decoder,
      boolean splitDecoder,
      double[] scales,
      double[] resMean,
      double[] resScale,
      double[] resCoef,
      double ridge,
      String source) {
    this.encoder = encoder;
    this.decoder = decoder;
    this.splitDecoder = splitDecoder;
    this.scales = scales.clone();
    this.resMean = resMean;
    this.resScale = resScale;
    this.resCoef = resCoef;
    this.ridge = ridge;
    this.source = source;
  }

  /** The source latency set's digest whose shape this predictor uses. */
  public String source() {
    return source;
  }

  /** The residual's ridge strength chosen by leave-one-out (infinite: no residual). */
  public double ridge() {
    return ridge;
  }

  @Override
  public double predictMs(double[] f) {
    return predictBatch(new double[][] {f})[0];
  }

  @Override
  public double[] predictBatch(double[][] x) {
    double[][] parts = parts(encoder, decoder, splitDecoder, x);
    double[] out = new double[x.length];
    for (int i = 0; i < out.length; i++) {
      double b = 0;
      for (int p = 0; p < scales.length; p++) {
        b += scales[p] * parts[i][p];
      }
      out[i] = b * (1 + residual(x[i]));
    }
    return out;
  }

  /**
   * Derived features that grow with the decoder's layer count: decoder_layer_num and every
   * dec_layers* term.
   */
  static boolean[] decoderLayerTerms(FeatureSet fs) {
    List<String> names = fs.names();
    boolean[] m = new boolean[names.size()];
    for (int j = 0; j < m.length; j++) {
      m[j] = names.get(j).equals("decoder_layer_num") || names.get(j).startsWith("dec_layers*");
    }
    return m;
  }

  /**
   * Per row, the source's parts before scaling: encoder, decoder; or encoder, decoder layers,
   * decoder rest.
   */
  static double[][] parts(
      LinearPredictor encoder, LinearPredictor decoder, boolean splitDecoder, double[][] x) {
    double[] e = encoder.predictBatch(x);
    double[][] d = decoder.splitBatch(x, decoderLayerTerms(decoder.featureSet()));
    double[][] out = new double[x.length][];
    for (int i = 0; i < x.length; i++) {
      out[i] =
          splitDecoder
              ? new double[] {e[i], d[i][1], d[i][0]}
              : new double[] {e[i], d[i][0] + d[i][1]};
    }
    return out;
  }

  private double residual(double[] f) {
    double r = resCoef[0];
    for (int j = 0; j < resMean.length; j++) {
      r += resCoef[j + 1] * (f[j] - resMean[j]) / resScale[j];
    }
    return r;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public FeatureSet featureSet() {
    return encoder.featureSet();
  }

  @Override
  public ObjectNode params() {
    ObjectNode o = new ObjectMapper().createObjectNode();
    o.put("source_sha256", source);
    o.put("split_decoder", splitDecoder);
    Json.putArray(o, "scales", scales);
    o.set("encoder_params", encoder.params());
    o.set("decoder_params", decoder.params());
    Json.putArray(o, "residual_mean", resMean);
    Json.putArray(o, "residual_scale", resScale);
    Json.putArray(o, "residual_coef", resCoef);
    if (Double.isFinite(ridge)) {
      o.put("residual_ridge", ridge);
    }
    return o;
  }

  @Override
  public byte[] modelBytes() {
    return new byte[0];
  }

  static TransferPredictor restore(FeatureSet fs, JsonNode p) {
    return new TransferPredictor(
        LinearPredictor.restore("transfer-encoder", fs, p.get("encoder_params")),
        LinearPredictor.restore("transfer-decoder", fs, p.get("decoder_params")),
        p.path("split_decoder").asBoolean(),
        Json.doubles(p, "scales"),
        Json.doubles(p, "residual_mean"),
        Json.doubles(p, "residual_scale"),
        Json.doubles(p, "residual_coef"),
        p.has("residual_ridge") ? p.path("residual_ridge").asDouble() : Double.POSITIVE_INFINITY,
        p.path("source_sha256").asText());
  }
}
