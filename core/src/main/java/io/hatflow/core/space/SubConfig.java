package io.hatflow.core.space;

import io.hatflow.core.run.UserInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A SubTransformer: HAT's gene. Per-layer lists hold one entry per layer of the SuperTransformer
 * (as HAT stores them); only the first {@code *LayerNum} entries are in use. Immutable.
 *
 * <p>{@code decoderArbitraryEndeAttn[i]}: -1 attends to the last encoder layer only, 1 to the last
 * two, 2 to the last three (their outputs concatenated along time), as in HAT.
 *
 * <p>Primer's genes are optional ({@link SearchSpace#OPTIONAL_GENES}): an empty list means the gene
 * is not in the space (HAT's model: ReLU, no convolution), and such a config has HAT's key, map and
 * YAML. Per layer, {@code *Activation} holds an {@link Activation} code and {@code *AttentionDconv}
 * a kernel width (0 or 3).
 */
public record SubConfig(
    int encoderEmbedDim,
    int encoderLayerNum,
    List<Integer> encoderFfnEmbedDim,
    List<Integer> encoderSelfAttentionHeads,
    int decoderEmbedDim,
    int decoderLayerNum,
    List<Integer> decoderFfnEmbedDim,
    List<Integer> decoderSelfAttentionHeads,
    List<Integer> decoderEndeAttentionHeads,
    List<Integer> decoderArbitraryEndeAttn,
    List<Integer> encoderActivation,
    List<Integer> encoderAttentionDconv,
    List<Integer> decoderActivation,
    List<Integer> decoderAttentionDconv) {

  /** A config of HAT's genes only. */
  public SubConfig(
      int encoderEmbedDim,
      int encoderLayerNum,
      List<Integer> encoderFfnEmbedDim,
      List<Integer> encoderSelfAttentionHeads,
      int decoderEmbedDim,
      int decoderLayerNum,
      List<Integer> decoderFfnEmbedDim,
      List<Integer> decoderSelfAttentionHeads,
      List<Integer> decoderEndeAttentionHeads,
      List<Integer> decoderArbitraryEndeAttn) {
    this(
        encoderEmbedDim,
        encoderLayerNum,
        encoderFfnEmbedDim,
        encoderSelfAttentionHeads,
        decoderEmbedDim,
        decoderLayerNum,
        decoderFfnEmbedDim,
        decoderSelfAttentionHeads,
        decoderEndeAttentionHeads,
        decoderArbitraryEndeAttn,
        List.of(),
        List.of(),
        List.of(),
        List.of());
  }

  public SubConfig {
    encoderActivation = List.copyOf(encoderActivation);
    encoderAttentionDconv = List.copyOf(encoderAttentionDconv);
    decoderActivation = List.copyOf(decoderActivation);
    decoderAttentionDconv = List.copyOf(decoderAttentionDconv);
    encoderFfnEmbedDim = List.copyOf(encoderFfnEmbedDim);
    encoderSelfAttentionHeads = List.copyOf(encoderSelfAttentionHeads);
    decoderFfnEmbedDim = List.copyOf(decoderFfnEmbedDim);
    decoderSelfAttentionHeads = List.copyOf(decoderSelfAttentionHeads);
    decoderEndeAttentionHeads = List.copyOf(decoderEndeAttentionHeads);
    decoderArbitraryEndeAttn = List.copyOf(decoderArbitraryEndeAttn);
    if (encoderLayerNum < 1
        || encoderLayerNum > encoderFfnEmbedDim.size()
        || encoderSelfAttentionHeads.size() != encoderFfnEmbedDim.size()) {
      throw new UserInputException(
          "encoder layer lists do not match encoder_layer_num=" + encoderLayerNum);
    }
    int d = decoderFfnEmbedDim.size();
    if (decoderLayerNum < 1
        || decoderLayerNum > d
        || decoderSelfAttentionHeads.size() != d
        || decoderEndeAttentionHeads.size() != d
        || decoderArbitraryEndeAttn.size() != d) {
      throw new UserInputException(
          "decoder layer lists do not match decoder_layer_num=" + decoderLayerNum);
    }
    optional(SearchSpace.ENCODER_ACTIVATION, encoderActivation, encoderFfnEmbedDim.size());
    optional(SearchSpace.ENCODER_ATTENTION_DCONV, encoderAttentionDconv, encoderFfnEmbedDim.size());
    optional(SearchSpace.DECODER_ACTIVATION, decoderActivation, d);
    optional(SearchSpace.DECODER_ATTENTION_DCONV, decoderAttentionDconv, d);
  }

  private static void optional(String gene, List<Integer> values, int layers) {
    if (!values.isEmpty() && values.size() != layers) {
      throw new UserInputException(
          gene + " has " + values.size() + " entries, expected one per layer (" + layers + ")");
    }
    for (int v : values) {
      String bad = SearchSpace.invalidChoice(gene, v);
      if (bad != null) {
        throw new UserInputException(gene + ": " + bad);
      }
    }
  }

  /** Whether any of Primer's optional genes is present. */
  public boolean hasPrimerGenes() {
    return !(encoderActivation.isEmpty()
        && encoderAttentionDconv.isEmpty()
        && decoderActivation.isEmpty()
        && decoderAttentionDconv.isEmpty());
  }

  /** Encoder layer {@code i}'s FFN activation (ReLU when the gene is absent). */
  public Activation encoderActivationAt(int i) {
    return encoderActivation.isEmpty() ? Activation.RELU : Activation.of(encoderActivation.get(i));
  }

  public Activation decoderActivationAt(int i) {
    return decoderActivation.isEmpty() ? Activation.RELU : Activation.of(decoderActivation.get(i));
  }

  /**
   * Encoder layer {@code i}'s self-attention depthwise-convolution width (0 = none, also when
   * absent).
   */
  public int encoderDconvAt(int i) {
    return encoderAttentionDconv.isEmpty() ? 0 : encoderAttentionDconv.get(i);
  }

  public int decoderDconvAt(int i) {
    return decoderAttentionDconv.isEmpty() ? 0 : decoderAttentionDconv.get(i);
  }

  private static List<Integer> head(List<Integer> xs, int n) {
    return xs.isEmpty() ? xs : xs.subList(0, n);
  }

  /**
   * The same model with inactive layers dropped: two configs that differ only in genes of unused
   * layers run the same computation, so they share one canonical form (and one fitness evaluation).
   */
  public SubConfig active() {
    return new SubConfig(
        encoderEmbedDim,
        encoderLayerNum,
        encoderFfnEmbedDim.subList(0, encoderLayerNum),
        encoderSelfAttentionHeads.subList(0, encoderLayerNum),
        decoderEmbedDim,
        decoderLayerNum,
        decoderFfnEmbedDim.subList(0, decoderLayerNum),
        decoderSelfAttentionHeads.subList(0, decoderLayerNum),
        decoderEndeAttentionHeads.subList(0, decoderLayerNum),
        decoderArbitraryEndeAttn.subList(0, decoderLayerNum),
        head(encoderActivation, encoderLayerNum),
        head(encoderAttentionDconv, encoderLayerNum),
        head(decoderActivation, decoderLayerNum),
        head(decoderAttentionDconv, decoderLayerNum));
  }

  /**
   * Canonical key of the active genes, stable across runs and JVMs: the identity of a
   * SubTransformer for caching, deduplication and tie-breaking.
   */
  public String key() {
    SubConfig a = active();
    return "E"
        + a.encoderEmbedDim
        + "x"
        + a.encoderLayerNum
        + "f"
        + join(a.encoderFfnEmbedDim)
        + "h"
        + join(a.encoderSelfAttentionHeads)
        + "|D"
        + a.decoderEmbedDim
        + "x"
        + a.decoderLayerNum
        + "f"
        + join(a.decoderFfnEmbedDim)
        + "h"
        + join(a.decoderSelfAttentionHeads)
        + "c"
        + join(a.decoderEndeAttentionHeads)
        + "a"
        + join(a.decoderArbitraryEndeAttn)
        + (hasPrimerGenes()
            ? "|P"
                + "g"
                + join(a.encoderActivation)
                + "k"
                + join(a.encoderAttentionDconv)
                + "g"
                + join(a.decoderActivation)
                + "k"
                + join(a.decoderAttentionDconv)
            : "");
  }

  private static String join(List<Integer> xs) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < xs.size(); i++) {
      if (i > 0) {
        b.append('.');
      }
      b.append(xs.get(i));
    }
    return b.toString();
  }

  /** Number of encoder layers the i-th decoder layer attends to (1, 2 or 3). */
  public int endeLayersAttended(int decoderLayer) {
    int a = decoderArbitraryEndeAttn.get(decoderLayer);
    return a == -1 ? 1 : a + 1;
  }

  /** HAT's gene names mapped to values, in HAT's order (for YAML and JSON output). */
  public Map<String, Object> toHatMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("encoder_embed_dim", encoderEmbedDim);
    m.put("encoder_layer_num", encoderLayerNum);
    m.put("encoder_ffn_embed_dim", encoderFfnEmbedDim);
    m.put("encoder_self_attention_heads", encoderSelfAttentionHeads);
    m.put("decoder_embed_dim", decoderEmbedDim);
    m.put("decoder_layer_num", decoderLayerNum);
    m.put("decoder_ffn_embed_dim", decoderFfnEmbedDim);
    m.put("decoder_self_attention_heads", decoderSelfAttentionHeads);
    m.put("decoder_ende_attention_heads", decoderEndeAttentionHeads);
    m.put("decoder_arbitrary_ende_attn", decoderArbitraryEndeAttn);
    // Primer's genes only when present, so HAT-only configs keep HAT's map; activations by name
    if (!encoderActivation.isEmpty()) {
      m.put(SearchSpace.ENCODER_ACTIVATION, Activation.names(encoderActivation));
    }
    if (!encoderAttentionDconv.isEmpty()) {
      m.put(SearchSpace.ENCODER_ATTENTION_DCONV, encoderAttentionDconv);
    }
    if (!decoderActivation.isEmpty()) {
      m.put(SearchSpace.DECODER_ACTIVATION, Activation.names(decoderActivation));
    }
    if (!decoderAttentionDconv.isEmpty()) {
      m.put(SearchSpace.DECODER_ATTENTION_DCONV, decoderAttentionDconv);
    }
    return m;
  }

  /**
   * HAT's SubTransformer YAML, with the keys HAT's argument parser reads: {@code
   * encoder-embed-dim-subtransformer} for scalars and {@code
   * encoder-ffn-embed-dim-all-subtransformer} for per-layer lists.
   */
  public String toHatYaml() {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, Object> e : toHatMap().entrySet()) {
      Object v = e.getValue();
      String k =
          e.getKey().replace('_', '-') + (v instanceof List<?> ? "-all" : "") + "-subtransformer";
      if (v instanceof List<?> l) {
        b.append(k).append(": [");
        for (int i = 0; i < l.size(); i++) {
          b.append(i > 0 ? ", " : "").append(l.get(i));
        }
        b.append("]\n");
      } else {
        b.append(k).append(": ").append(v).append('\n');
      }
    }
    return b.toString();
  }

  /** Reads the map written by {@link #toHatMap()} (gene name to int or list of ints). */
  public static SubConfig fromHatMap(Map<String, ?> m) {
    return new SubConfig(
        intOf(m, "encoder_embed_dim"), intOf(m, "encoder_layer_num"),
        listOf(m, "encoder_ffn_embed_dim"), listOf(m, "encoder_self_attention_heads"),
        intOf(m, "decoder_embed_dim"), intOf(m, "decoder_layer_num"),
        listOf(m, "decoder_ffn_embed_dim"), listOf(m, "decoder_self_attention_heads"),
        listOf(m, "decoder_ende_attention_heads"), listOf(m, "decoder_arbitrary_ende_attn"),
        optionalList(m, SearchSpace.ENCODER_ACTIVATION),
            optionalList(m, SearchSpace.ENCODER_ATTENTION_DCONV),
        optionalList(m, SearchSpace.DECODER_ACTIVATION),
            optionalList(m, SearchSpace.DECODER_ATTENTION_DCONV));
  }

  /** An optional gene's list: absent = empty; activations by name or code. */
  private static List<Integer> optionalList(Map<String, ?> m, String k) {
    Object v = m.get(k);
    if (v == null) {
      return List.of();
    }
    List<Integer> out = new ArrayList<>();
    for (Object o : (List<?>) v) {
      out.add(o instanceof Number n ? n.intValue() : Activation.byName(k, o.toString()).ordinal());
    }
    return out;
  }

  private static int intOf(Map<String, ?> m, String k) {
    Object v = Objects.requireNonNull(m.get(k), () -> "missing gene " + k);
    return ((Number) v).intValue();
  }

  private static List<Integer> listOf(Map<String, ?> m, String k) {
    Object v = Objects.requireNonNull(m.get(k), () -> "missing gene " + k);
    List<Integer> out = new ArrayList<>();
    for (Object o : (List<?>) v) {
      out.add(((Number) o).intValue());
    }
    return out;
  }
}
