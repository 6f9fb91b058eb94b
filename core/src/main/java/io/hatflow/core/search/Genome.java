package io.hatflow.core.search;

import static io.hatflow.core.space.SearchSpace.DECODER_ARBITRARY_ENDE_ATTN;
import static io.hatflow.core.space.SearchSpace.DECODER_EMBED_DIM;
import static io.hatflow.core.space.SearchSpace.DECODER_ENDE_ATTENTION_HEADS;
import static io.hatflow.core.space.SearchSpace.DECODER_FFN_EMBED_DIM;
import static io.hatflow.core.space.SearchSpace.DECODER_LAYER_NUM;
import static io.hatflow.core.space.SearchSpace.DECODER_SELF_ATTENTION_HEADS;
import static io.hatflow.core.space.SearchSpace.ENCODER_EMBED_DIM;
import static io.hatflow.core.space.SearchSpace.ENCODER_FFN_EMBED_DIM;
import static io.hatflow.core.space.SearchSpace.ENCODER_LAYER_NUM;
import static io.hatflow.core.space.SearchSpace.ENCODER_SELF_ATTENTION_HEADS;

import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * HAT's flat gene vector ({@code Converter.config2gene}): encoder embed, encoder layer num, one FFN
 * and one heads entry per SuperTransformer encoder layer, decoder embed, decoder layer num, then
 * per decoder layer FFN, self heads, en-de heads, arbitrary attention; then Primer's optional genes
 * the space has (per encoder layer activation and dconv, per decoder layer activation and dconv).
 * Inactive layers keep their genes, as in HAT, so a mutation of the layer number can bring them
 * back. Mutation and crossover act position by position.
 */
public final class Genome {
  private Genome() {}

  /** The choices of every position of the vector, for a space. */
  public static List<List<Integer>> choices(SearchSpace s) {
    int e = s.maxEncoderLayers();
    int d = s.maxDecoderLayers();
    List<List<Integer>> out = new ArrayList<>();
    out.add(s.choices(ENCODER_EMBED_DIM));
    out.add(s.choices(ENCODER_LAYER_NUM));
    repeat(out, s.choices(ENCODER_FFN_EMBED_DIM), e);
    repeat(out, s.choices(ENCODER_SELF_ATTENTION_HEADS), e);
    out.add(s.choices(DECODER_EMBED_DIM));
    out.add(s.choices(DECODER_LAYER_NUM));
    repeat(out, s.choices(DECODER_FFN_EMBED_DIM), d);
    repeat(out, s.choices(DECODER_SELF_ATTENTION_HEADS), d);
    repeat(out, s.choices(DECODER_ENDE_ATTENTION_HEADS), d);
    repeat(out, s.choices(DECODER_ARBITRARY_ENDE_ATTN), d);
    for (String g : SearchSpace.OPTIONAL_GENES) {
      if (s.has(g)) {
        repeat(out, s.choices(g), g.startsWith("encoder") ? e : d);
      }
    }
    return out;
  }

  private static void repeat(List<List<Integer>> out, List<Integer> c, int n) {
    for (int i = 0; i < n; i++) {
      out.add(c);
    }
  }

  public static List<Integer> encode(SubConfig c) {
    List<Integer> v = new ArrayList<>();
    v.add(c.encoderEmbedDim());
    v.add(c.encoderLayerNum());
    v.addAll(c.encoderFfnEmbedDim());
    v.addAll(c.encoderSelfAttentionHeads());
    v.add(c.decoderEmbedDim());
    v.add(c.decoderLayerNum());
    v.addAll(c.decoderFfnEmbedDim());
    v.addAll(c.decoderSelfAttentionHeads());
    v.addAll(c.decoderEndeAttentionHeads());
    v.addAll(c.decoderArbitraryEndeAttn());
    v.addAll(c.encoderActivation());
    v.addAll(c.encoderAttentionDconv());
    v.addAll(c.decoderActivation());
    v.addAll(c.decoderAttentionDconv());
    return v;
  }

  /**
   * The inverse of {@link #encode} for vectors of a SuperTransformer with {@code e} encoder and
   * {@code d} decoder layers; Primer's optional genes are read when the vector is long enough to
   * hold them ({@code optional}: which of {@link SearchSpace#OPTIONAL_GENES} the space has, in that
   * order).
   */
  public static SubConfig decode(List<Integer> v, int e, int d, boolean... optional) {
    int expected = 4 + 2 * e + 4 * d;
    for (int k = 0; k < optional.length; k++) {
      expected += optional[k] ? (k < 2 ? e : d) : 0;
    }
    if (v.size() != expected) {
      throw new IllegalArgumentException(
          "gene vector has "
              + v.size()
              + " entries, expected "
              + expected
              + " for "
              + e
              + " encoder and "
              + d
              + " decoder layers");
    }
    int i = 0;
    int encEmbed = v.get(i++);
    int encLayers = v.get(i++);
    List<Integer> encFfn = v.subList(i, i += e);
    List<Integer> encHeads = v.subList(i, i += e);
    int decEmbed = v.get(i++);
    int decLayers = v.get(i++);
    List<Integer> decFfn = v.subList(i, i += d);
    List<Integer> decHeads = v.subList(i, i += d);
    List<Integer> ende = v.subList(i, i += d);
    List<Integer> arb = v.subList(i, i += d);
    List<List<Integer>> opt = new ArrayList<>();
    for (int k = 0; k < 4; k++) {
      boolean has = k < optional.length && optional[k];
      int n = has ? (k < 2 ? e : d) : 0;
      opt.add(v.subList(i, i += n));
    }
    return new SubConfig(
        encEmbed,
        encLayers,
        encFfn,
        encHeads,
        decEmbed,
        decLayers,
        decFfn,
        decHeads,
        ende,
        arb,
        opt.get(0),
        opt.get(1),
        opt.get(2),
        opt.get(3));
  }

  public static SubConfig decode(List<Integer> v, SearchSpace s) {
    return decode(v, s.maxEncoderLayers(), s.maxDecoderLayers(), optionalGenes(s));
  }

  /**
   * Which of {@link SearchSpace#OPTIONAL_GENES} {@code s} has, in that order (for {@link #decode}).
   */
  public static boolean[] optionalGenes(SearchSpace s) {
    boolean[] out = new boolean[SearchSpace.OPTIONAL_GENES.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = s.has(SearchSpace.OPTIONAL_GENES.get(k));
    }
    return out;
  }

  /**
   * The full vector as text: the tie-breaker between configs with one canonical key but different
   * inactive genes.
   */
  public static String fullKey(SubConfig c) {
    StringBuilder b = new StringBuilder();
    for (int x : encode(c)) {
      b.append(b.length() == 0 ? "" : ",").append(x);
    }
    return b.toString();
  }
}
