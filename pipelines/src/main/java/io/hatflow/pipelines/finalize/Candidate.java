package io.hatflow.pipelines.finalize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.search.SearchId;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A SubTransformer that finalize trains and scores: a search winner (target, budget) or a random
 * control.
 */
public record Candidate(
    String name, String kind, String target, Double budgetMs, SubConfig config) {

  public static final String WINNER = "winner";
  public static final String RANDOM = "random";

  /** The winners of {@code search/winners.json}, in file order. */
  public static List<Candidate> winners(Path winnersJson) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readString(winnersJson));
    } catch (IOException e) {
      throw new UserInputException(
          "cannot read the search winners " + winnersJson + ": " + e.getMessage(), e);
    }
    List<Candidate> out = new ArrayList<>();
    JsonNode ws = root.path("winners");
    for (int i = 0; i < ws.size(); i++) {
      JsonNode w = ws.get(i);
      if (!w.hasNonNull("target") || !w.hasNonNull("budget_ms") || !w.has("config")) {
        throw new UserInputException(
            winnersJson + ": winner " + i + " lacks target, budget_ms or config");
      }
      Map<String, Object> m = new ObjectMapper().convertValue(w.get("config"), LinkedHashMap.class);
      SubConfig c = SubConfig.fromHatMap(m);
      SearchId id = new SearchId(w.get("target").asText(), w.get("budget_ms").asDouble());
      out.add(new Candidate(id.name(), WINNER, id.target(), id.budgetMs(), c));
    }
    return out;
  }

  /**
   * {@code n} random SubTransformers of {@code space}, seeded from {@code seed}, distinct from each
   * other and from {@code exclude} (gives up after many draws in a space too small to hold them).
   */
  public static List<Candidate> randoms(
      SearchSpace space, int n, long seed, List<Candidate> exclude) {
    Set<String> seen = new HashSet<>();
    exclude.forEach(c -> seen.add(c.config().key()));
    Random rnd = new Random(seed * 0x9E3779B97F4A7C15L + 17);
    List<Candidate> out = new ArrayList<>();
    for (int tries = 0; out.size() < n && tries < 1000 * Math.max(1, n); tries++) {
      SubConfig c = space.sample(rnd).active();
      if (seen.add(c.key())) {
        out.add(new Candidate("random-" + out.size(), RANDOM, null, null, c));
      }
    }
    return out;
  }

  /**
   * The smallest space holding exactly this config's values: its {@code largest()} is the model
   * shape that finalize trains (the config itself, per-layer widths padded to the widest layer's),
   * and it contains the config.
   */
  public static SearchSpace shapeSpace(SubConfig config, int qkvDim) {
    SubConfig a = config.active();
    Map<String, List<Integer>> g = new LinkedHashMap<>();
    g.put(SearchSpace.ENCODER_EMBED_DIM, List.of(a.encoderEmbedDim()));
    g.put(SearchSpace.ENCODER_LAYER_NUM, List.of(a.encoderLayerNum()));
    g.put(SearchSpace.ENCODER_FFN_EMBED_DIM, distinct(a.encoderFfnEmbedDim()));
    g.put(SearchSpace.ENCODER_SELF_ATTENTION_HEADS, distinct(a.encoderSelfAttentionHeads()));
    g.put(SearchSpace.DECODER_EMBED_DIM, List.of(a.decoderEmbedDim()));
    g.put(SearchSpace.DECODER_LAYER_NUM, List.of(a.decoderLayerNum()));
    g.put(SearchSpace.DECODER_FFN_EMBED_DIM, distinct(a.decoderFfnEmbedDim()));
    g.put(SearchSpace.DECODER_SELF_ATTENTION_HEADS, distinct(a.decoderSelfAttentionHeads()));
    g.put(SearchSpace.DECODER_ENDE_ATTENTION_HEADS, distinct(a.decoderEndeAttentionHeads()));
    g.put(SearchSpace.DECODER_ARBITRARY_ENDE_ATTN, distinct(a.decoderArbitraryEndeAttn()));
    optional(g, SearchSpace.ENCODER_ACTIVATION, a.encoderActivation());
    optional(g, SearchSpace.ENCODER_ATTENTION_DCONV, a.encoderAttentionDconv());
    optional(g, SearchSpace.DECODER_ACTIVATION, a.decoderActivation());
    optional(g, SearchSpace.DECODER_ATTENTION_DCONV, a.decoderAttentionDconv());
    return new SearchSpace("finalize-" + a.key(), qkvDim, g);
  }

  private static void optional(Map<String, List<Integer>> g, String gene, List<Integer> xs) {
    if (!xs.isEmpty()) {
      g.put(gene, distinct(xs));
    }
  }

  private static List<Integer> distinct(List<Integer> xs) {
    return xs.stream().distinct().sorted().toList();
  }
}
