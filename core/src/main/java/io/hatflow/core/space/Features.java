package io.hatflow.core.space;

import java.util.List;

/**
 * HAT's 10 latency-predictor features of a SubTransformer, in the column order of HAT's latency
 * CSV.
 */
public final class Features {
  private Features() {}

  public static final List<String> NAMES =
      List.of(
          "encoder_embed_dim",
          "encoder_layer_num",
          "encoder_ffn_embed_dim_avg",
          "encoder_self_attention_heads_avg",
          "decoder_embed_dim",
          "decoder_layer_num",
          "decoder_ffn_embed_dim_avg",
          "decoder_self_attention_heads_avg",
          "decoder_ende_attention_heads_avg",
          "decoder_arbitrary_ende_attn_avg");

  /**
   * The features as HAT computes them: {@code _avg} over the layers in use; arbitrary attention
   * -1,1,2 as 1,2,3.
   */
  public static double[] of(SubConfig c) {
    SubConfig a = c.active();
    double arb = 0;
    for (int i = 0; i < a.decoderLayerNum(); i++) {
      arb += a.endeLayersAttended(i);
    }
    return new double[] {
      a.encoderEmbedDim(),
      a.encoderLayerNum(),
      mean(a.encoderFfnEmbedDim()),
      mean(a.encoderSelfAttentionHeads()),
      a.decoderEmbedDim(),
      a.decoderLayerNum(),
      mean(a.decoderFfnEmbedDim()),
      mean(a.decoderSelfAttentionHeads()),
      mean(a.decoderEndeAttentionHeads()),
      arb / a.decoderLayerNum()
    };
  }

  private static double mean(List<Integer> xs) {
    double s = 0;
    for (int x : xs) {
      s += x;
    }
    return s / xs.size();
  }
}
