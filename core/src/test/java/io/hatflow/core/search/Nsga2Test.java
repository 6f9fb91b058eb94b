package io.hatflow.core.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.search.testing.SyntheticFitness;
import io.hatflow.core.search.testing.SyntheticLatency;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Nsga2Test {
  static final SearchSpace TINY = SearchSpace.preset("tiny");
  static final LatencyModel LAT = new SyntheticLatency(1.0);

  static Pareto.Point pt(String k, double loss, double ms) {
    return new Pareto.Point(k, loss, ms);
  }

  @Test
  void nonDominatedSortingOnHandMadePoints() {
    List<Pareto.Point> pts =
        List.of(
            pt("A", 1, 5),
            pt("B", 2, 3),
            pt("C", 4, 1),
            pt("D", 3, 4),
            pt("E", 5, 5),
            pt("F", 2, 3));
    // B and F are equal: neither dominates, one front. D is dominated by B and F only; E by
    // everything else.
    assertEquals(List.of(List.of(0, 1, 2, 5), List.of(3), List.of(4)), Pareto.fronts(pts));
    assertTrue(Pareto.dominates(pts.get(1), pts.get(3)));
    assertFalse(Pareto.dominates(pts.get(1), pts.get(5)));
    assertEquals(List.of(), Pareto.fronts(List.of()));
  }

  @Test
  void crowdingDistanceOnHandMadePoints() {
    // Loss range 6, latency range 9. P1: loss neighbours 1 and 4 (3/6), latency neighbours 5 and 10
    // (5/9).
    // P2: loss neighbours 2 and 7 (5/6), latency neighbours 1 and 6 (5/9). The extremes are
    // infinite.
    double[] d =
        Pareto.crowding(List.of(pt("P0", 1, 10), pt("P1", 2, 6), pt("P2", 4, 5), pt("P3", 7, 1)));
    assertEquals(Double.POSITIVE_INFINITY, d[0]);
    assertEquals(0.5 + 5.0 / 9, d[1], 1e-12);
    assertEquals(5.0 / 6 + 5.0 / 9, d[2], 1e-12);
    assertEquals(Double.POSITIVE_INFINITY, d[3]);
    assertArrayEquals(
        new double[] {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY},
        Pareto.crowding(List.of(pt("a", 1, 1), pt("b", 1, 1))));
    assertEquals(0, Pareto.crowding(List.of()).length);
  }

  /** Distinct configs of the tiny space, so keys differ. */
  static List<SubConfig> distinct(int n) {
    Set<SubConfig> out = new LinkedHashSet<>();
    Random r = new Random(3);
    while (out.size() < n) {
      SubConfig c = TINY.sample(r);
      if (out.stream().noneMatch(x -> x.key().equals(c.key()))) {
        out.add(c);
      }
    }
    return new ArrayList<>(out);
  }

  @Test
  void survivorsAreWholeFrontsThenTheLeastCrowdedAndWinnersComeFromTheFront() {
    List<SubConfig> c = distinct(7);
    List<Scored> pop =
        List.of(
            new Scored(0, c.get(0), 1.0, 30),
            new Scored(1, c.get(1), 2.0, 20), // front 0
            new Scored(2, c.get(2), 1.5, 35),
            new Scored(3, c.get(3), 2.5, 28), // front 1: 2 and 4 are its
            new Scored(4, c.get(4), 3.0, 21), // extremes, 3 is crowded
            new Scored(5, c.get(5), 4.0, 50), // front 2
            new Scored(6, c.get(6), 0.5, 100), // best loss, over budget
            new Scored(7, c.get(1), 2.0, 20)); // duplicate of slot 1
    List<Nsga2.Ranked> all = Nsga2.rank(pop, 60, 1e-4);
    assertEquals(List.of(0, 1, 2, 4, 3, 5), all.stream().map(r -> r.scored().slot()).toList());
    assertEquals(List.of(0, 0, 1, 1, 1, 2), all.stream().map(Nsga2.Ranked::rank).toList());
    assertEquals(
        List.of(0, 1, 2),
        Nsga2.survivors(pop, 60, 3, 1e-4).stream().map(r -> r.scored().slot()).toList());
    assertEquals(
        List.of(0, 1, 2, 4, 3),
        Nsga2.survivors(pop, 60, 5, 1e-4).stream().map(r -> r.scored().slot()).toList());
    List<Scored> rev = new ArrayList<>(pop);
    Collections.reverse(rev);
    assertEquals(all, Nsga2.rank(rev, 60, 1e-4));

    Map<Double, Scored> w = Nsga2.winners(pop, List.of(20.0, 25.0, 40.0, 10.0), 1e-4);
    assertEquals(0, w.get(40.0).slot());
    assertEquals(1, w.get(25.0).slot());
    assertEquals(1, w.get(20.0).slot());
    assertNull(w.get(10.0), "below every front member: no winner");
    assertEquals(3, w.size());
  }

  @Test
  void tournamentPrefersTheFrontOfTheListAndNeverPairsAParentWithItself() {
    int[] hits = new int[10];
    Random r = new Random(1);
    for (int t = 0; t < 100_000; t++) {
      hits[Nsga2.TOURNAMENT.one(r, 10)]++;
      int[] ij = Nsga2.TOURNAMENT.two(r, 10);
      assertNotEquals(ij[0], ij[1]);
    }
    // P(min of two uniform draws over 10 = i) = (19 - 2i) / 100.
    for (int i = 0; i < 10; i++) {
      assertEquals((19 - 2 * i) / 100.0, hits[i] / 100_000.0, 0.006, "index " + i);
    }
  }

  @Test
  void nsga2GenerationIsFeasibleSizedReproducibleAndOrderFree() {
    SearchConfig cfg =
        Settings.hat().toBuilder().sizes(20, 8, 8, 6, 3).seed(5).mode(SearchMode.NSGA2).build();
    SearchId id = new SearchId("cpu", 26.0);
    Population p0 = Evolution.initialPopulation(TINY, cfg, id, LAT);
    List<Scored> scored = new ArrayList<>();
    for (int i = 0; i < p0.members().size(); i++) {
      SubConfig c = p0.members().get(i);
      scored.add(new Scored(i, c, SyntheticFitness.loss(c), LAT.predictMs(c)));
    }
    Population p1 = Nsga2.nextGeneration(scored, TINY, cfg, id, 0, LAT);
    assertEquals(8 + 8 + 6, p1.members().size());
    for (SubConfig c : p1.members()) {
      assertTrue(LAT.predictMs(c) <= 26.0);
    }
    // The survivors are the first members, and the whole first front survives when it fits.
    List<Scored> front = Nsga2.front(scored, 26.0, 1e-4);
    assertTrue(front.size() <= 8, "test setup: front of " + front.size());
    for (Scored f : front) {
      assertTrue(p1.parents().contains(f), f.key());
    }
    assertEquals(p1, Nsga2.nextGeneration(scored, TINY, cfg, id, 0, LAT));
    Collections.shuffle(scored, new Random(2));
    assertEquals(p1.members(), Nsga2.nextGeneration(scored, TINY, cfg, id, 0, LAT).members());
    // Not HAT's generation: other parents or other draws.
    assertNotEquals(
        p1.members(), Evolution.nextGeneration(scored, TINY, cfg, id, 0, LAT).members());
  }

  @Test
  void settingsNameTheNsga2PopulationAndTheReference() {
    SearchConfig d = Settings.hat();
    // The state directory of a HAT search is named after this text: it must not change with new
    // settings.
    assertEquals(
        "SearchConfig[population=125, parents=25, mutations=50, crossovers=50, mutationProb=0.3,"
            + " generations=30, seed=1, fitnessPrecision=1.0E-4, maxSampleTries=1000]",
        d.courseKey());
    assertEquals(
        d.courseKey(),
        d.toBuilder().hvReference(new Hypervolume.Reference(2, 3)).build().courseKey());
    assertNotEquals(d.courseKey(), d.toBuilder().mode(SearchMode.NSGA2).build().courseKey());
    SearchConfig small =
        d.toBuilder().sizes(3, 2, 1, 0, 2).maxSampleTries(10).mode(SearchMode.NSGA2).build();
    assertEquals(1, small.problems().size());
    assertTrue(
        small
            .problems()
            .get(0)
            .startsWith("search.population: mode nsga2 needs a population of at least 4"));
    assertTrue(small.toBuilder().mode(SearchMode.HAT).build().problems().isEmpty());
    List<String> ref =
        d.toBuilder().hvReference(new Hypervolume.Reference(1.0, 1.1)).build().problems();
    assertEquals(1, ref.size());
    assertTrue(
        ref.get(0).startsWith("search.hv_reference: [1.0, 1.1] does not dominate"), ref.get(0));
  }
}
