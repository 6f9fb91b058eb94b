package io.hatflow.core.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.run.UserInputException;
import io.hatflow.core.search.Evolution;
import io.hatflow.core.search.Genome;
import io.hatflow.core.search.HatJson;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Primer's optional genes in the space, the config, the gene vector, JSON/YAML, and their absence.
 */
class PrimerGenesTest {
  static final SearchSpace TINY = SearchSpace.preset("tiny");
  static final SearchSpace PRIMER = SearchSpace.preset("tiny-primer");

  @Test
  void tinyPrimerIsTinyPlusTheFourGenes() {
    Map<String, List<Integer>> g = new LinkedHashMap<>(PRIMER.genes());
    SearchSpace.OPTIONAL_GENES.forEach(g::remove);
    assertEquals(TINY.genes(), g);
    assertEquals(List.of(0, 1, 2), PRIMER.choices(SearchSpace.DECODER_ACTIVATION));
    assertEquals(List.of(0, 3), PRIMER.choices(SearchSpace.ENCODER_ATTENTION_DCONV));
    assertFalse(TINY.hasPrimerGenes());
    assertTrue(PRIMER.hasPrimerGenes());
  }

  /**
   * SHA-256 of the keys of 200 tiny configs drawn from Random(11), computed with the code before
   * Primer's genes.
   */
  @Test
  void aHatSpaceDrawsTheSameConfigsAsBeforeThePrimerGenes() throws Exception {
    java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
    Random r = new Random(11);
    for (int i = 0; i < 200; i++) {
      md.update(TINY.sample(r).key().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    assertEquals(
        "2b904137dabd121bb8a4a8fda616ca5176d1270f93cc3de2c3411bde9b325446",
        java.util.HexFormat.of().formatHex(md.digest()));
    assertEquals(
        4 + 2 * 3 + 4 * 3, Genome.choices(TINY).size(), "HAT's gene vector, nothing appended");
  }

  @Test
  void aPrimerSpaceDrawsHatGenesFirstSoItsHatPartMatchesTheTinyStream() {
    Random a = new Random(3);
    Random b = new Random(3);
    for (int i = 0; i < 50; i++) {
      SubConfig t = TINY.sample(a);
      SubConfig p = PRIMER.sample(b);
      assertTrue(p.key().startsWith(t.key() + "|P"), p.key());
      assertTrue(PRIMER.contains(p));
      assertFalse(TINY.contains(p), "a tiny space does not hold Primer genes");
      assertFalse(PRIMER.contains(t), "a tiny-primer config has the genes");
      // the Primer draws came after: re-align the streams for the next config
      for (int k = 0; k < 2 * (TINY.maxEncoderLayers() + TINY.maxDecoderLayers()); k++) {
        a.nextInt(2);
      }
    }
  }

  @Test
  void geneVectorJsonAndYamlRoundTrip() {
    Random r = new Random(5);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      SubConfig c = PRIMER.sample(r);
      List<Integer> v = Genome.encode(c);
      assertEquals(Genome.choices(PRIMER).size(), v.size());
      assertEquals(c, Genome.decode(v, PRIMER));
      assertEquals(c, HatJson.read(HatJson.write(c)));
      seen.add(c.key());
    }
    assertEquals(30, seen.size());
    SubConfig c = PRIMER.largest();
    String yaml = c.toHatYaml();
    assertTrue(yaml.contains("encoder-activation-all-subtransformer: [gelu, gelu, gelu]"), yaml);
    assertTrue(yaml.contains("decoder-attention-dconv-all-subtransformer: [3, 3, 3]"), yaml);
    assertFalse(
        TINY.largest().toHatYaml().contains("activation"),
        "HAT's YAML unchanged without the genes");
    assertEquals(
        TINY.largest().key(),
        new SubConfig(
                128,
                3,
                List.of(512, 512, 512),
                List.of(4, 4, 4),
                128,
                3,
                List.of(512, 512, 512),
                List.of(4, 4, 4),
                List.of(4, 4, 4),
                List.of(2, 2, 2))
            .key());
  }

  @Test
  void mutationAndCrossoverReachThePrimerGenes() {
    Random r = new Random(7);
    SubConfig a = PRIMER.smallest();
    SubConfig b = PRIMER.largest();
    Set<List<Integer>> acts = new HashSet<>();
    Set<List<Integer>> convs = new HashSet<>();
    for (int i = 0; i < 40; i++) {
      SubConfig m = Evolution.mutate(a, PRIMER, 0.5, r);
      SubConfig x = Evolution.crossover(a, b, PRIMER, r);
      assertTrue(PRIMER.contains(m) && PRIMER.contains(x));
      acts.add(m.decoderActivation());
      convs.add(x.encoderAttentionDconv());
    }
    assertTrue(acts.size() > 3, "mutation changes activations: " + acts);
    assertTrue(convs.size() > 3, "crossover mixes kernel widths: " + convs);
  }

  @Test
  void badChoicesAreUserErrors() {
    Map<String, List<Integer>> g = new LinkedHashMap<>(TINY.genes());
    g.put(SearchSpace.ENCODER_ATTENTION_DCONV, List.of(0, 5));
    UserInputException e =
        assertThrows(UserInputException.class, () -> new SearchSpace("s", 128, g));
    assertTrue(
        e.getMessage().contains("encoder_attention_dconv: invalid kernel width 5"), e.getMessage());
    e =
        assertThrows(
            UserInputException.class, () -> Activation.byName("decoder_activation", "swish"));
    assertEquals(
        "decoder_activation: unknown activation \"swish\" (known: relu, squared_relu, gelu)",
        e.getMessage());
    Map<String, Object> m = new LinkedHashMap<>(PRIMER.largest().toHatMap());
    m.put(SearchSpace.ENCODER_ACTIVATION, List.of("relu", "tanh", "relu"));
    assertThrows(UserInputException.class, () -> SubConfig.fromHatMap(m));
  }

  @Test
  void complexityCountsTheKernels() {
    SubConfig p = PRIMER.largest();
    SubConfig t = TINY.largest();
    assertEquals(Complexity.params(t, 128) + 6 * 3 * 128 * 3, Complexity.params(p, 128));
    assertNotEquals(Complexity.flops(t, 128, 30, 30), Complexity.flops(p, 128, 30, 30));
  }
}
