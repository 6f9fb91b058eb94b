package io.hatflow.model.transformer;

/**
 * Dropout rates as fairseq names them: {@code dropout} after attention/FFN and on embeddings,
 * {@code attention} on attention weights, {@code relu} inside the FFN. HAT's WMT configs: 0.3 / 0.1
 * / 0.1 (the defaults here are smaller, for tiny models).
 */
public record Dropouts(float dropout, float attention, float relu) {
  public static final Dropouts NONE = new Dropouts(0, 0, 0);
  public static final Dropouts DEFAULT = new Dropouts(0.1f, 0.1f, 0.1f);

  public Dropouts {
    for (float f : new float[] {dropout, attention, relu}) {
      if (f < 0 || f >= 1) {
        throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + f);
      }
    }
  }
}
