package io.hatflow.model.transformer;

/**
 * The names of the {@link SuperTransformer}'s weights, spelled once for its init, forward passes,
 * extraction and the ONNX export: {@code embed}, then per layer a prefix ({@link #enc}, {@link
 * #dec}) plus a suffix below. Checkpoints store weights in name order, so these strings are part of
 * the checkpoint format.
 */
public final class WeightNames {
  public static final String EMBED = "embed";
  public static final String SELF_IN_W = "self.in_w";
  public static final String SELF_IN_B = "self.in_b";
  public static final String SELF_OUT_W = "self.out_w";
  public static final String SELF_OUT_B = "self.out_b";

  /**
   * Primer's depthwise kernels [3 * qkv, 3] of a layer with {@code *_attention_dconv} 3: rows [0,
   * qkv) convolve the Q projection, then K, then V (one kernel per channel, i.e. per head and head
   * dimension).
   */
  public static final String SELF_DCONV = "self.dconv";

  public static final String ENDE_Q_W = "ende.q_w";
  public static final String ENDE_K_W = "ende.k_w";
  public static final String ENDE_V_W = "ende.v_w";
  public static final String ENDE_IN_B = "ende.in_b";
  public static final String ENDE_OUT_W = "ende.out_w";
  public static final String ENDE_OUT_B = "ende.out_b";
  public static final String FC1_W = "fc1.w";
  public static final String FC1_B = "fc1.b";
  public static final String FC2_W = "fc2.w";
  public static final String FC2_B = "fc2.b";

  /**
   * Layer norms: after self-attention, after ende attention (decoder only), after the FFN (ln2 enc,
   * ln3 dec).
   */
  public static final String LN1 = "ln1";

  public static final String LN2 = "ln2";
  public static final String LN3 = "ln3";

  /** Suffixes of a layer norm's gain and bias. */
  public static final String GAIN = ".g";

  public static final String BIAS = ".b";

  private WeightNames() {}

  /** Prefix of encoder layer {@code i}'s weights. */
  public static String enc(int i) {
    return "enc." + i + ".";
  }

  /** Prefix of decoder layer {@code i}'s weights. */
  public static String dec(int i) {
    return "dec." + i + ".";
  }
}
