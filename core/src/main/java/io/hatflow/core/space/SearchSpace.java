package io.hatflow.core.space;

import io.hatflow.core.run.UserInputException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * The choices of every gene, HAT's names. Per-layer genes take one choice per layer, from the same
 * list for every layer (as in HAT). {@code qkvDim} is fixed: elastic heads split it, so heads must
 * divide it.
 *
 * <p>Primer's genes ({@link #OPTIONAL_GENES}) may be left out; a space without them samples,
 * mutates and trains exactly as before they existed. Activations are held as {@link Activation}
 * codes.
 */
public record SearchSpace(String name, int qkvDim, Map<String, List<Integer>> genes) {

  public static final String ENCODER_EMBED_DIM = "encoder_embed_dim";
  public static final String ENCODER_LAYER_NUM = "encoder_layer_num";
  public static final String ENCODER_FFN_EMBED_DIM = "encoder_ffn_embed_dim";
  public static final String ENCODER_SELF_ATTENTION_HEADS = "encoder_self_attention_heads";
  public static final String DECODER_EMBED_DIM = "decoder_embed_dim";
  public static final String DECODER_LAYER_NUM = "decoder_layer_num";
  public static final String DECODER_FFN_EMBED_DIM = "decoder_ffn_embed_dim";
  public static final String DECODER_SELF_ATTENTION_HEADS = "decoder_self_attention_heads";
  public static final String DECODER_ENDE_ATTENTION_HEADS = "decoder_ende_attention_heads";
  public static final String DECODER_ARBITRARY_ENDE_ATTN = "decoder_arbitrary_ende_attn";

  /** Every gene, in HAT's order. */
  public static final List<String> GENE_NAMES =
      List.of(
          ENCODER_EMBED_DIM,
          ENCODER_LAYER_NUM,
          ENCODER_FFN_EMBED_DIM,
          ENCODER_SELF_ATTENTION_HEADS,
          DECODER_EMBED_DIM,
          DECODER_LAYER_NUM,
          DECODER_FFN_EMBED_DIM,
          DECODER_SELF_ATTENTION_HEADS,
          DECODER_ENDE_ATTENTION_HEADS,
          DECODER_ARBITRARY_ENDE_ATTN);

  /**
   * Primer's per-layer FFN activation ({@link Activation} codes) and self-attention dconv width (0
   * or 3).
   */
  public static final String ENCODER_ACTIVATION = "encoder_activation";

  public static final String ENCODER_ATTENTION_DCONV = "encoder_attention_dconv";
  public static final String DECODER_ACTIVATION = "decoder_activation";
  public static final String DECODER_ATTENTION_DCONV = "decoder_attention_dconv";

  /**
   * Genes a space may leave out, in the order they follow HAT's genes (draws, gene vector, maps).
   */
  public static final List<String> OPTIONAL_GENES =
      List.of(
          ENCODER_ACTIVATION, ENCODER_ATTENTION_DCONV, DECODER_ACTIVATION, DECODER_ATTENTION_DCONV);

  /** The depthwise convolution's kernel width when on (Primer's 3x1). */
  public static final int DCONV_WIDTH = 3;

  public static final List<String> PRESETS =
      List.of("tiny", "tiny-primer", "hat-wmt-space0", "hat-iwslt-space1");

  public SearchSpace {
    Map<String, List<Integer>> copy = new LinkedHashMap<>();
    for (String g : GENE_NAMES) {
      List<Integer> c = genes.get(g);
      if (c != null) {
        copy.put(g, List.copyOf(c));
      }
    }
    for (String g : OPTIONAL_GENES) {
      List<Integer> c = genes.get(g);
      if (c != null) {
        copy.put(g, List.copyOf(c));
      }
    }
    genes = Collections.unmodifiableMap(copy);
    List<String> problems = problems(qkvDim, genes);
    if (!problems.isEmpty()) {
      throw new UserInputException("search space " + name + ": " + problems.get(0));
    }
  }

  /** What is wrong with a space, one message per problem ("gene: what"); empty when valid. */
  public static List<String> problems(int qkvDim, Map<String, List<Integer>> genes) {
    List<String> out = new ArrayList<>();
    if (qkvDim < 1) {
      out.add("qkv_dim: expected an integer >= 1, got " + qkvDim);
    }
    for (String g : genes.keySet()) {
      if (!GENE_NAMES.contains(g) && !OPTIONAL_GENES.contains(g)) {
        out.add(
            g
                + ": unknown gene (known: "
                + String.join(", ", GENE_NAMES)
                + ", optional: "
                + String.join(", ", OPTIONAL_GENES)
                + ")");
      }
    }
    for (String g : OPTIONAL_GENES) {
      List<Integer> c = genes.get(g);
      if (c == null) {
        continue;
      }
      if (c.isEmpty()) {
        out.add(g + ": empty choice list");
      }
      for (int v : c) {
        String bad = invalidChoice(g, v);
        if (bad != null) {
          out.add(g + ": " + bad);
        }
      }
    }
    for (String g : GENE_NAMES) {
      List<Integer> c = genes.get(g);
      if (c == null) {
        out.add(g + ": missing gene");
        continue;
      }
      if (c.isEmpty()) {
        out.add(g + ": empty choice list");
        continue;
      }
      for (int v : c) {
        boolean ok =
            switch (g) {
              case DECODER_ARBITRARY_ENDE_ATTN -> v == -1 || v == 1 || v == 2;
              default -> v >= 1;
            };
        if (!ok) {
          out.add(
              g
                  + ": invalid choice "
                  + v
                  + (g.equals(DECODER_ARBITRARY_ENDE_ATTN)
                      ? " (expected -1, 1 or 2)"
                      : " (expected >= 1)"));
        }
        if (g.endsWith("_heads") && v >= 1 && qkvDim >= 1 && qkvDim % v != 0) {
          out.add(g + ": head count " + v + " does not divide qkv_dim " + qkvDim);
        }
      }
    }
    List<Integer> enc = genes.get(ENCODER_LAYER_NUM);
    List<Integer> arb = genes.get(DECODER_ARBITRARY_ENDE_ATTN);
    if (enc != null && arb != null && !enc.isEmpty() && !arb.isEmpty()) {
      int minEnc = Collections.min(enc);
      int maxArb = Collections.max(arb);
      if ((maxArb == -1 ? 1 : maxArb + 1) > minEnc) {
        out.add(
            DECODER_ARBITRARY_ENDE_ATTN
                + ": attends to "
                + (maxArb + 1)
                + " encoder layers but the encoder may have only "
                + minEnc);
      }
    }
    return out;
  }

  /** Why {@code v} cannot be a choice of optional gene {@code gene}, or null when it can. */
  public static String invalidChoice(String gene, int v) {
    return switch (gene) {
      case ENCODER_ACTIVATION, DECODER_ACTIVATION ->
          v >= 0 && v < Activation.values().length ? null : "invalid activation code " + v;
      case ENCODER_ATTENTION_DCONV, DECODER_ATTENTION_DCONV ->
          v == 0 || v == DCONV_WIDTH
              ? null
              : "invalid kernel width " + v + " (expected 0 = off or " + DCONV_WIDTH + ")";
      default -> null;
    };
  }

  /** Whether the space has {@code gene} (always true for HAT's genes). */
  public boolean has(String gene) {
    return genes.containsKey(gene);
  }

  /** Whether the space has any of Primer's optional genes. */
  public boolean hasPrimerGenes() {
    return OPTIONAL_GENES.stream().anyMatch(genes::containsKey);
  }

  public List<Integer> choices(String gene) {
    return genes.get(gene);
  }

  public int max(String gene) {
    return Collections.max(genes.get(gene));
  }

  public int min(String gene) {
    return Collections.min(genes.get(gene));
  }

  public int maxEncoderLayers() {
    return max(ENCODER_LAYER_NUM);
  }

  public int maxDecoderLayers() {
    return max(DECODER_LAYER_NUM);
  }

  /** The largest SubTransformer: every gene at its maximum (the SuperTransformer itself). */
  public SubConfig largest() {
    return uniform(true);
  }

  /**
   * The smallest SubTransformer: every gene at its minimum, attending to the last encoder layer
   * only.
   */
  public SubConfig smallest() {
    return uniform(false);
  }

  private SubConfig uniform(boolean big) {
    int e = maxEncoderLayers();
    int d = maxDecoderLayers();
    java.util.function.ToIntFunction<String> pick = g -> big ? max(g) : min(g);
    int arb = big ? max(DECODER_ARBITRARY_ENDE_ATTN) : min(DECODER_ARBITRARY_ENDE_ATTN);
    return new SubConfig(
        pick.applyAsInt(ENCODER_EMBED_DIM),
        pick.applyAsInt(ENCODER_LAYER_NUM),
        Collections.nCopies(e, pick.applyAsInt(ENCODER_FFN_EMBED_DIM)),
        Collections.nCopies(e, pick.applyAsInt(ENCODER_SELF_ATTENTION_HEADS)),
        pick.applyAsInt(DECODER_EMBED_DIM),
        pick.applyAsInt(DECODER_LAYER_NUM),
        Collections.nCopies(d, pick.applyAsInt(DECODER_FFN_EMBED_DIM)),
        Collections.nCopies(d, pick.applyAsInt(DECODER_SELF_ATTENTION_HEADS)),
        Collections.nCopies(d, pick.applyAsInt(DECODER_ENDE_ATTENTION_HEADS)),
        Collections.nCopies(d, arb),
        uniformOptional(ENCODER_ACTIVATION, e, big),
        uniformOptional(ENCODER_ATTENTION_DCONV, e, big),
        uniformOptional(DECODER_ACTIVATION, d, big),
        uniformOptional(DECODER_ATTENTION_DCONV, d, big));
  }

  // largest(): the convolution on (the SuperTransformer then holds its kernels) and the highest
  // activation code
  private List<Integer> uniformOptional(String gene, int n, boolean big) {
    return has(gene) ? Collections.nCopies(n, big ? max(gene) : min(gene)) : List.of();
  }

  /**
   * A uniformly random SubTransformer, as HAT's {@code get_sample_config}: every per-layer gene is
   * drawn for every layer of the SuperTransformer, so mutation and crossover can act on inactive
   * layers too. The draw order is fixed, so the same {@link Random} state gives the same config on
   * any JVM.
   */
  public SubConfig sample(Random rnd) {
    int e = maxEncoderLayers();
    int d = maxDecoderLayers();
    int encEmbed = draw(rnd, ENCODER_EMBED_DIM);
    int encLayers = draw(rnd, ENCODER_LAYER_NUM);
    List<Integer> encFfn = drawLayers(rnd, ENCODER_FFN_EMBED_DIM, e);
    List<Integer> encHeads = drawLayers(rnd, ENCODER_SELF_ATTENTION_HEADS, e);
    int decEmbed = draw(rnd, DECODER_EMBED_DIM);
    int decLayers = draw(rnd, DECODER_LAYER_NUM);
    List<Integer> decFfn = drawLayers(rnd, DECODER_FFN_EMBED_DIM, d);
    List<Integer> decHeads = drawLayers(rnd, DECODER_SELF_ATTENTION_HEADS, d);
    List<Integer> endeHeads = drawLayers(rnd, DECODER_ENDE_ATTENTION_HEADS, d);
    List<Integer> arb = drawLayers(rnd, DECODER_ARBITRARY_ENDE_ATTN, d);
    // Primer's genes are drawn after HAT's, and only when present: a HAT space's stream of configs
    // is unchanged
    List<Integer> encAct = drawOptional(rnd, ENCODER_ACTIVATION, e);
    List<Integer> encConv = drawOptional(rnd, ENCODER_ATTENTION_DCONV, e);
    List<Integer> decAct = drawOptional(rnd, DECODER_ACTIVATION, d);
    List<Integer> decConv = drawOptional(rnd, DECODER_ATTENTION_DCONV, d);
    return new SubConfig(
        encEmbed, encLayers, encFfn, encHeads, decEmbed, decLayers, decFfn, decHeads, endeHeads,
        arb, encAct, encConv, decAct, decConv);
  }

  private List<Integer> drawOptional(Random rnd, String gene, int n) {
    return has(gene) ? drawLayers(rnd, gene, n) : List.of();
  }

  /** Draws one choice of a gene. */
  public int draw(Random rnd, String gene) {
    List<Integer> c = genes.get(gene);
    return c.get(rnd.nextInt(c.size()));
  }

  private List<Integer> drawLayers(Random rnd, String gene, int n) {
    List<Integer> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(draw(rnd, gene));
    }
    return out;
  }

  /** Whether every active gene of {@code c} is one of this space's choices. */
  public boolean contains(SubConfig c) {
    SubConfig a = c.active();
    return in(ENCODER_EMBED_DIM, a.encoderEmbedDim())
        && in(ENCODER_LAYER_NUM, a.encoderLayerNum())
        && all(ENCODER_FFN_EMBED_DIM, a.encoderFfnEmbedDim())
        && all(ENCODER_SELF_ATTENTION_HEADS, a.encoderSelfAttentionHeads())
        && in(DECODER_EMBED_DIM, a.decoderEmbedDim())
        && in(DECODER_LAYER_NUM, a.decoderLayerNum())
        && all(DECODER_FFN_EMBED_DIM, a.decoderFfnEmbedDim())
        && all(DECODER_SELF_ATTENTION_HEADS, a.decoderSelfAttentionHeads())
        && all(DECODER_ENDE_ATTENTION_HEADS, a.decoderEndeAttentionHeads())
        && all(DECODER_ARBITRARY_ENDE_ATTN, a.decoderArbitraryEndeAttn())
        && a.encoderLayerNum() <= maxEncoderLayers()
        && a.decoderLayerNum() <= maxDecoderLayers()
        && optional(ENCODER_ACTIVATION, a.encoderActivation())
        && optional(ENCODER_ATTENTION_DCONV, a.encoderAttentionDconv())
        && optional(DECODER_ACTIVATION, a.decoderActivation())
        && optional(DECODER_ATTENTION_DCONV, a.decoderAttentionDconv());
  }

  /**
   * An optional gene fits when both leave it out, or the space has it and every value is a choice.
   */
  private boolean optional(String g, List<Integer> vs) {
    return has(g) ? !vs.isEmpty() && genes.get(g).containsAll(vs) : vs.isEmpty();
  }

  private boolean in(String g, int v) {
    return genes.get(g).contains(v);
  }

  private boolean all(String g, List<Integer> vs) {
    return genes.get(g).containsAll(vs);
  }

  /**
   * HAT's latency-dataset space: wider than the search space so the predictor also sees configs
   * just outside it (FFN adds 512, heads add 2).
   */
  public SearchSpace widenedForLatency() {
    Map<String, List<Integer>> g = new LinkedHashMap<>(genes);
    for (String ffn : List.of(ENCODER_FFN_EMBED_DIM, DECODER_FFN_EMBED_DIM)) {
      g.put(ffn, withChoice(g.get(ffn), 512));
    }
    for (String h :
        List.of(
            ENCODER_SELF_ATTENTION_HEADS,
            DECODER_SELF_ATTENTION_HEADS,
            DECODER_ENDE_ATTENTION_HEADS)) {
      g.put(h, withChoice(g.get(h), 2));
    }
    return new SearchSpace(name + "-latency", qkvDim, g);
  }

  private static List<Integer> withChoice(List<Integer> c, int v) {
    TreeSet<Integer> s = new TreeSet<>(Collections.reverseOrder());
    s.addAll(c);
    s.add(v);
    return List.copyOf(s);
  }

  /**
   * A named preset: {@code tiny}, {@code tiny-primer}, {@code hat-wmt-space0} or {@code
   * hat-iwslt-space1}.
   */
  public static SearchSpace preset(String name) {
    Map<String, List<Integer>> g = new LinkedHashMap<>();
    switch (name) {
      case "hat-wmt-space0" -> {
        // HAT configs/wmt14.en-de/supertransformer/space0.yml
        g.put(ENCODER_EMBED_DIM, List.of(640, 512));
        g.put(ENCODER_LAYER_NUM, List.of(6));
        g.put(ENCODER_FFN_EMBED_DIM, List.of(3072, 2048, 1024));
        g.put(ENCODER_SELF_ATTENTION_HEADS, List.of(8, 4));
        g.put(DECODER_EMBED_DIM, List.of(640, 512));
        g.put(DECODER_LAYER_NUM, List.of(6, 5, 4, 3, 2, 1));
        g.put(DECODER_FFN_EMBED_DIM, List.of(3072, 2048, 1024));
        g.put(DECODER_SELF_ATTENTION_HEADS, List.of(8, 4));
        g.put(DECODER_ENDE_ATTENTION_HEADS, List.of(8, 4));
        g.put(DECODER_ARBITRARY_ENDE_ATTN, List.of(-1, 1, 2));
        return new SearchSpace(name, 512, g);
      }
      case "hat-iwslt-space1" -> {
        // HAT configs/iwslt14.de-en/supertransformer/space1.yml
        g.put(ENCODER_EMBED_DIM, List.of(640, 512));
        g.put(ENCODER_LAYER_NUM, List.of(6));
        g.put(ENCODER_FFN_EMBED_DIM, List.of(2048, 1024, 512));
        g.put(ENCODER_SELF_ATTENTION_HEADS, List.of(4, 2));
        g.put(DECODER_EMBED_DIM, List.of(640, 512));
        g.put(DECODER_LAYER_NUM, List.of(6, 5, 4, 3, 2, 1));
        g.put(DECODER_FFN_EMBED_DIM, List.of(2048, 1024, 512));
        g.put(DECODER_SELF_ATTENTION_HEADS, List.of(4, 2));
        g.put(DECODER_ENDE_ATTENTION_HEADS, List.of(4, 2));
        g.put(DECODER_ARBITRARY_ENDE_ATTN, List.of(-1, 1, 2));
        return new SearchSpace(name, 512, g);
      }
      case "tiny-primer" -> {
        // tiny plus Primer's primitives as per-layer genes
        g.putAll(preset("tiny").genes());
        List<Integer> acts =
            List.of(
                Activation.RELU.ordinal(),
                Activation.SQUARED_RELU.ordinal(),
                Activation.GELU.ordinal());
        g.put(ENCODER_ACTIVATION, acts);
        g.put(ENCODER_ATTENTION_DCONV, List.of(0, DCONV_WIDTH));
        g.put(DECODER_ACTIVATION, acts);
        g.put(DECODER_ATTENTION_DCONV, List.of(0, DCONV_WIDTH));
        return new SearchSpace(name, 128, g);
      }
      case "tiny" -> {
        // HAT's shape scaled down to train on 2 CPU cores in minutes.
        g.put(ENCODER_EMBED_DIM, List.of(128, 96));
        g.put(ENCODER_LAYER_NUM, List.of(3));
        g.put(ENCODER_FFN_EMBED_DIM, List.of(512, 256, 128));
        g.put(ENCODER_SELF_ATTENTION_HEADS, List.of(4, 2));
        g.put(DECODER_EMBED_DIM, List.of(128, 96));
        g.put(DECODER_LAYER_NUM, List.of(3, 2, 1));
        g.put(DECODER_FFN_EMBED_DIM, List.of(512, 256, 128));
        g.put(DECODER_SELF_ATTENTION_HEADS, List.of(4, 2));
        g.put(DECODER_ENDE_ATTENTION_HEADS, List.of(4, 2));
        g.put(DECODER_ARBITRARY_ENDE_ATTN, List.of(-1, 1, 2));
        return new SearchSpace(name, 128, g);
      }
      default ->
          throw new UserInputException(
              "unknown search space preset \""
                  + name
                  + "\" (known: "
                  + String.join(", ", PRESETS)
                  + ")");
    }
  }

  /** HAT's dummy sentence length for IWSLT-like spaces (its latency and FLOPs inputs). */
  public static final int IWSLT_DUMMY_TOKENS = 23;

  /** HAT's dummy sentence length for the WMT spaces (and ours). */
  public static final int WMT_DUMMY_TOKENS = 30;

  /** Whether this is an IWSLT-like space (HAT times those with 23-token inputs instead of 30). */
  public boolean iwsltLike() {
    return name.contains("iwslt");
  }

  /**
   * HAT's dummy sentence length in tokens for this space: what latency is timed and FLOPs are
   * counted at.
   */
  public int dummyTokens() {
    return iwsltLike() ? IWSLT_DUMMY_TOKENS : WMT_DUMMY_TOKENS;
  }
}
