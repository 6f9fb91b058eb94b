package io.hatflow.core.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.search.testing.SyntheticFitness;
import io.hatflow.core.search.testing.SyntheticLatency;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EvolutionTest {
  static final SearchSpace TINY = SearchSpace.preset("tiny");
  static final SearchSpace WMT = SearchSpace.preset("hat-wmt-space0");
  static final LatencyModel LAT = new SyntheticLatency(1.0);

  @Test
  void rngDependsOnEveryPartOfTheTupleOnly() {
    long a = Rng.derive(7, 3, "cpu", 150.0, 4, "mutation").nextLong();
    assertEquals(a, Rng.derive(7, 3, "cpu", 150, 4, "mutation").nextLong());
    assertEquals(a, Rng.derive(7, 3, new SearchId("cpu", 150.0), 4, "mutation").nextLong());
    assertNotEquals(a, Rng.derive(8, 3, "cpu", 150, 4, "mutation").nextLong());
    assertNotEquals(a, Rng.derive(7, 4, "cpu", 150, 4, "mutation").nextLong());
    assertNotEquals(a, Rng.derive(7, 3, "gpu", 150, 4, "mutation").nextLong());
    assertNotEquals(a, Rng.derive(7, 3, "cpu", 150.5, 4, "mutation").nextLong());
    assertNotEquals(a, Rng.derive(7, 3, "cpu", 150, 5, "mutation").nextLong());
    assertNotEquals(a, Rng.derive(7, 3, "cpu", 150, 4, "crossover").nextLong());
    // Pinned value: the derivation must not drift between versions (a resumed search redraws it).
    assertEquals(-4837292556299968221L, a);
    assertEquals("cpu-87.5ms", new SearchId("cpu", 87.5).name());
    assertEquals("cpu-150ms", new SearchId("cpu", 150.0).name());
  }

  @Test
  void genomeRoundTripsAndKeyIgnoresInactiveLayers() {
    SubConfig c = WMT.sample(new Random(3));
    assertEquals(c, Genome.decode(Genome.encode(c), WMT));
    assertEquals(4 + 2 * 6 + 4 * 6, Genome.choices(WMT).size());
    SubConfig one =
        new SubConfig(
            128,
            3,
            List.of(512, 256, 128),
            List.of(4, 2, 2),
            128,
            1,
            List.of(512, 256, 128),
            List.of(4, 4, 4),
            List.of(2, 2, 2),
            List.of(-1, 1, 2));
    SubConfig other =
        new SubConfig(
            128,
            3,
            List.of(512, 256, 128),
            List.of(4, 2, 2),
            128,
            1,
            List.of(512, 512, 512),
            List.of(4, 2, 2),
            List.of(2, 4, 4),
            List.of(-1, -1, -1));
    assertEquals(one.key(), other.key());
    assertNotEquals(Genome.fullKey(one), Genome.fullKey(other));
    assertEquals("E128x3f512.256.128h4.2.2|D128x1f512h4c2a-1", one.key());
    assertEquals(one.active(), HatJson.read(HatJson.write(one.active())));
  }

  @Test
  void mutationResamplesEachGeneWithProbabilityP() {
    SubConfig parent = WMT.smallest();
    assertEquals(parent, Evolution.mutate(parent, WMT, 0.0, new Random(1)));
    int positions = Genome.encode(parent).size();
    int changed = 0;
    int trials = 400;
    for (int t = 0; t < trials; t++) {
      SubConfig child = Evolution.mutate(parent, WMT, 0.3, new Random(t));
      assertTrue(WMT.contains(child));
      List<Integer> a = Genome.encode(parent);
      List<Integer> b = Genome.encode(child);
      for (int i = 0; i < positions; i++) {
        changed += a.get(i).equals(b.get(i)) ? 0 : 1;
      }
    }
    // A position changes when it is redrawn (p) and the draw differs from the minimum: E[frac] = p
    // * (1 - 1/|choices|).
    double expected = 0;
    for (List<Integer> c : Genome.choices(WMT)) {
      expected += 0.3 * (1 - 1.0 / c.size());
    }
    expected *= trials;
    assertTrue(Math.abs(changed - expected) < 0.1 * expected, changed + " vs " + expected);
    assertEquals(
        Evolution.mutate(parent, WMT, 0.3, new Random(9)),
        Evolution.mutate(parent, WMT, 0.3, new Random(9)));
  }

  @Test
  void crossoverTakesEachGeneFromOneParent() {
    SubConfig a = WMT.smallest();
    SubConfig b = WMT.largest();
    assertEquals(a, Evolution.crossover(a, a, WMT, new Random(1)));
    int fromA = 0;
    int total = 0;
    for (int t = 0; t < 200; t++) {
      List<Integer> v = Genome.encode(Evolution.crossover(a, b, WMT, new Random(t)));
      List<Integer> va = Genome.encode(a);
      List<Integer> vb = Genome.encode(b);
      for (int i = 0; i < v.size(); i++) {
        assertTrue(v.get(i).equals(va.get(i)) || v.get(i).equals(vb.get(i)));
        if (!va.get(i).equals(vb.get(i))) {
          total++;
          fromA += v.get(i).equals(va.get(i)) ? 1 : 0;
        }
      }
    }
    assertTrue(Math.abs(fromA - total / 2.0) < 0.05 * total, fromA + " of " + total);
  }

  @Test
  void selectionIsElitistFeasibleRoundedAndDeduplicated() {
    SubConfig x = TINY.smallest();
    SubConfig y = TINY.largest();
    SubConfig z = TINY.sample(new Random(5));
    List<Scored> pop =
        List.of(
            new Scored(0, z, 3.00004, 10), // ties with x after rounding to 1e-4: key decides
            new Scored(1, x, 3.00001, 10),
            new Scored(2, y, 1.0, 99), // best but over budget
            new Scored(3, x, 3.00001, 10), // duplicate of slot 1
            new Scored(4, y, 5.0, 10));
    List<Scored> parents = Evolution.selectParents(pop, 50, 3, 1e-4);
    String first = x.key().compareTo(z.key()) < 0 ? x.key() : z.key();
    assertEquals(first, parents.get(0).key());
    assertEquals(3, parents.size());
    assertEquals(3, parents.stream().map(Scored::key).distinct().count());
    assertEquals(5.0, parents.get(2).fitness());
    // Order of the input does not matter.
    List<Scored> rev = new ArrayList<>(pop);
    java.util.Collections.reverse(rev);
    assertEquals(parents, Evolution.selectParents(rev, 50, 3, 1e-4));
  }

  @Test
  void nextGenerationIsFeasibleSizedAndReproducible() {
    SearchConfig cfg = Settings.hat().toBuilder().sizes(20, 5, 8, 7, 3).seed(11).build();
    SearchId id = new SearchId("cpu", 24.0);
    Population p0 = Evolution.initialPopulation(TINY, cfg, id, LAT);
    assertEquals(20, p0.members().size());
    assertTrue(p0.warnings().isEmpty());
    List<Scored> scored = new ArrayList<>();
    for (int i = 0; i < p0.members().size(); i++) {
      SubConfig c = p0.members().get(i);
      assertTrue(LAT.predictMs(c) <= 24.0);
      scored.add(new Scored(i, c, SyntheticFitness.loss(c), LAT.predictMs(c)));
    }
    Population p1 = Evolution.nextGeneration(scored, TINY, cfg, id, 0, LAT);
    assertEquals(5 + 8 + 7, p1.members().size());
    assertEquals(1, p1.generation());
    for (SubConfig c : p1.members()) {
      assertTrue(LAT.predictMs(c) <= 24.0);
      assertTrue(TINY.contains(c));
    }
    assertEquals(p1, Evolution.nextGeneration(scored, TINY, cfg, id, 0, LAT));
    java.util.Collections.shuffle(scored, new Random(2));
    assertEquals(p1.members(), Evolution.nextGeneration(scored, TINY, cfg, id, 0, LAT).members());
  }

  @Test
  void constrainedSamplingGivesUpInsteadOfLoopingForever() {
    SearchConfig cfg = Settings.hat().toBuilder().sizes(10, 2, 2, 2, 1).maxSampleTries(50).build();
    LatencyRange range = LatencyRange.estimate(TINY, LAT, 1, 200);
    // Just above the minimum: only the smallest configs fit, most slots stay empty.
    SearchId id = new SearchId("cpu", range.minMs() + 0.01);
    Population p = Evolution.initialPopulation(TINY, cfg, id, LAT);
    assertTrue(p.members().size() < 10);
    assertEquals(1, p.warnings().size());
    assertTrue(p.warnings().get(0).contains("cpu-"), p.warnings().get(0));
  }

  @Test
  void budgetBelowMinimumIsAClearError() {
    LatencyRange r = LatencyRange.estimate(TINY, LAT, 1, 100);
    assertEquals(LAT.predictMs(TINY.smallest()), r.minMs(), 1e-9);
    assertEquals(LAT.predictMs(TINY.largest()), r.maxMs(), 1e-9);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> r.checkBudget("pi4", 3.0));
    assertTrue(
        e.getMessage().contains("pi4")
            && e.getMessage().contains("3 ms")
            && e.getMessage().contains(String.format(java.util.Locale.ROOT, "%.3f", r.minMs())),
        e.getMessage());
    r.checkBudget("pi4", r.minMs());
  }

  @Test
  void badSettingsAreNamed() {
    SearchConfig d = Settings.hat();
    assertTrue(d.problems().isEmpty());
    assertTrue(
        d.toBuilder()
            .sizes(10, 20, 5, 5, 3)
            .build()
            .problems()
            .get(0)
            .contains("smaller than search.parents"));
    // Every message names a real spec key: the record's rounding step is search.fitness_decimals in
    // the spec.
    List<String> step = d.toBuilder().fitnessPrecision(0).build().problems();
    assertEquals(1, step.size());
    assertTrue(step.get(0).startsWith("search.fitness_decimals: "), step.get(0));
    IllegalStateException unset =
        assertThrows(
            IllegalStateException.class,
            () -> SearchConfig.builder().sizes(10, 2, 2, 2, 1).build());
    assertTrue(
        unset
            .getMessage()
            .contains("mutationProb, seed, fitnessPrecision, maxSampleTries, mode, hvReference"),
        unset.getMessage());
    SearchConfig badP = d.toBuilder().mutationProb(1.5).maxSampleTries(100).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, badP::validate);
    assertTrue(e.getMessage().contains("mutation_prob"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new TargetBudgets("cpu", SyntheticLatency.factory(1), List.of()));
  }

  @Test
  void paretoFrontierKeepsOnlyUndominatedPoints() {
    List<Pareto.Point> pts =
        List.of(
            new Pareto.Point("a", 3.0, 10),
            new Pareto.Point("b", 2.0, 20),
            new Pareto.Point("c", 2.5, 25),
            new Pareto.Point("d", 1.0, 30),
            new Pareto.Point("e", 3.0, 10),
            new Pareto.Point("f", 4.0, 5));
    List<String> keys = Pareto.frontier(pts).stream().map(Pareto.Point::configKey).toList();
    assertEquals(List.of("f", "a", "b", "d"), keys);
  }

  @Test
  void spaceSpecRebuildsTheSpace() throws Exception {
    SpaceSpec s = SpaceSpec.of(WMT);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    new java.io.ObjectOutputStream(bytes).writeObject(s);
    SpaceSpec back =
        (SpaceSpec)
            new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))
                .readObject();
    assertEquals(WMT, back.toSpace());
  }
}
