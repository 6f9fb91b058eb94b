package io.hatflow.model.predictor;

import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.Features;
import java.util.ArrayList;
import java.util.List;

/**
 * Features a model computes from HAT's 10 input features. Every predictor takes the same input
 * (HAT's 10, {@link Features#NAMES}); {@link #INTERACTIONS} adds per-part products that are
 * proportional to the work done (layers × width, layers × FFN, layers × width × FFN, layers ×
 * attended encoder layers, ...).
 */
public enum FeatureSet {
  HAT10("hat10"),
  INTERACTIONS("hat10+interactions-v1");

  /**
   * Id of the input features every predictor consumes; recorded in predictor.json and checked on
   * load.
   */
  public static final String INPUT_ID = "hat10-v1";

  private final String id;

  FeatureSet(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  public static FeatureSet byId(String id) {
    for (FeatureSet f : values()) {
      if (f.id.equals(id)) {
        return f;
      }
    }
    throw new UserInputException("unknown derived feature set '" + id + "'");
  }

  private static final List<String> INTERACTION_NAMES =
      List.of(
          "enc_layers*enc_embed",
          "enc_layers*enc_ffn",
          "enc_layers*enc_embed*enc_ffn/1e3",
          "enc_layers*enc_heads",
          "enc_layers*enc_embed^2/1e3",
          "dec_layers*dec_embed",
          "dec_layers*dec_ffn",
          "dec_layers*dec_embed*dec_ffn/1e3",
          "dec_layers*dec_heads",
          "dec_layers*ende_heads",
          "dec_layers*arbitrary",
          "dec_layers*arbitrary*dec_embed",
          "dec_layers*dec_embed^2/1e3",
          "dec_layers*enc_embed",
          "dec_layers*arbitrary*enc_embed");

  public List<String> names() {
    List<String> n = new ArrayList<>(Features.NAMES);
    if (this == INTERACTIONS) {
      n.addAll(INTERACTION_NAMES);
    }
    return n;
  }

  public int dim() {
    return this == HAT10 ? 10 : 10 + INTERACTION_NAMES.size();
  }

  /** Writes the derived features of {@code f} (HAT's 10) into {@code out[0..dim)}. */
  public void map(double[] f, double[] out) {
    if (f.length != 10) {
      throw new IllegalArgumentException("expected HAT's 10 latency features, got " + f.length);
    }
    System.arraycopy(f, 0, out, 0, 10);
    if (this == HAT10) {
      return;
    }
    double ed = f[0],
        el = f[1],
        ef = f[2],
        eh = f[3],
        dd = f[4],
        dl = f[5],
        df = f[6],
        dh = f[7],
        deh = f[8],
        arb = f[9];
    out[10] = el * ed;
    out[11] = el * ef;
    out[12] = el * ed * ef / 1e3;
    out[13] = el * eh;
    out[14] = el * ed * ed / 1e3;
    out[15] = dl * dd;
    out[16] = dl * df;
    out[17] = dl * dd * df / 1e3;
    out[18] = dl * dh;
    out[19] = dl * deh;
    out[20] = dl * arb;
    out[21] = dl * arb * dd;
    out[22] = dl * dd * dd / 1e3;
    out[23] = dl * ed;
    out[24] = dl * arb * ed;
  }

  public double[] map(double[] f) {
    double[] out = new double[dim()];
    map(f, out);
    return out;
  }
}
