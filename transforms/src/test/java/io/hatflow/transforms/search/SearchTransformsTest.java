package io.hatflow.transforms.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.search.Fitness;
import io.hatflow.core.search.Genome;
import io.hatflow.core.search.Hypervolume;
import io.hatflow.core.search.LatencyModel;
import io.hatflow.core.search.SearchConfig;
import io.hatflow.core.search.SearchMode;
import io.hatflow.core.search.SpaceSpec;
import io.hatflow.core.search.TargetBudgets;
import io.hatflow.core.search.testing.SyntheticFitness;
import io.hatflow.core.search.testing.SyntheticLatency;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.schemas.ScoredCandidate;
import io.hatflow.schemas.SearchCandidate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SearchTransformsTest {
  static final SearchSpace TINY = SearchSpace.preset("tiny");
  static final Map<String, LatencyModel> MODELS =
      new LinkedHashMap<>(
          Map.of("cpu", new SyntheticLatency(1.0), "gpu", new SyntheticLatency(0.4)));

  static List<SearchCandidate> candidates() {
    List<SearchCandidate> out = new ArrayList<>();
    Random r = new Random(4);
    for (int slot = 0; slot < 30; slot++) {
      SubConfig c = TINY.sample(r);
      out.add(new SearchCandidate("cpu", 30.0, 0, slot, Genome.encode(c)));
      if (slot % 3 == 0) {
        out.add(
            new SearchCandidate(
                "gpu", 12.0, 0, slot, Genome.encode(c))); // same config, other search
        out.add(
            new SearchCandidate(
                "cpu", 30.0, 0, 100 + slot, Genome.encode(c))); // duplicate in one search
      }
    }
    return out;
  }

  @Test
  void aShardEvaluatesEachDistinctConfigOnceAndReusesTheStore() {
    List<String> calls = new ArrayList<>();
    Fitness f =
        c -> {
          calls.add(c.key());
          return SyntheticFitness.loss(c);
        };
    List<SearchCandidate> cands = candidates();
    var r = EvaluateCandidates.evaluateShard(cands, 3, 3, 0, Map.of(), f, MODELS, "ck");
    assertEquals(calls.size(), calls.stream().distinct().count());
    assertEquals(30, calls.size());
    assertEquals(cands.size(), r.scored().size());
    assertEquals(30, r.evaluations().size());
    assertEquals(30, r.fresh().size());
    for (ScoredCandidate s : r.scored()) {
      SubConfig c = Genome.decode(s.getGenes(), TINY);
      assertEquals(MODELS.get(s.getTarget()).predictMs(c), s.getPredictedMs(), 1e-12);
      assertEquals(SyntheticFitness.loss(c), s.getFitness(), 1e-12);
    }
    // With the store holding one config, that one is not evaluated again and is marked cached.
    calls.clear();
    String known = r.evaluations().get(0).getConfigKey();
    var again =
        EvaluateCandidates.evaluateShard(cands, 3, 3, 1, Map.of(known, 1.5), f, MODELS, "ck");
    assertEquals(29, calls.size());
    assertTrue(again.evaluations().get(0).getCached());
    assertEquals(1.5, again.evaluations().get(0).getFitness());
    // Arrival order does not change anything.
    List<SearchCandidate> shuffled = new ArrayList<>(cands);
    Collections.shuffle(shuffled, new Random(1));
    assertTrue(
        r.equals(EvaluateCandidates.evaluateShard(shuffled, 3, 3, 0, Map.of(), f, MODELS, "ck")),
        "shard result depends on arrival order");
  }

  @Test
  void breedingIgnoresArrivalOrderAndEmitsWinnersOnlyAtTheEnd() {
    SearchConfig cfg =
        SearchConfig.builder()
            .sizes(30, 5, 6, 6, 2)
            .mutationProb(0.3)
            .seed(3)
            .fitnessPrecision(1e-4)
            .maxSampleTries(200)
            .mode(SearchMode.HAT)
            .hvReference(Hypervolume.Reference.DEFAULT)
            .build();
    List<TargetBudgets> targets =
        List.of(
            new TargetBudgets("cpu", SyntheticLatency.factory(1.0), List.of(30.0)),
            new TargetBudgets("gpu", SyntheticLatency.factory(0.4), List.of(12.0)));
    var r =
        EvaluateCandidates.evaluateShard(
            candidates(), 3, 3, 0, Map.of(), SyntheticFitness::loss, MODELS, "ck");
    List<ScoredCandidate> cpu =
        r.scored().stream().filter(s -> s.getTarget().equals("cpu")).toList();
    var mid = new BreedNextGeneration.Settings(0, false, cfg, SpaceSpec.of(TINY), targets);
    var o = BreedNextGeneration.breed(cpu, mid, TINY, MODELS);
    List<ScoredCandidate> shuffled = new ArrayList<>(cpu);
    Collections.shuffle(shuffled, new Random(3));
    assertTrue(
        o.equals(BreedNextGeneration.breed(shuffled, mid, TINY, MODELS)),
        "breeding depends on arrival order");
    assertTrue(o.winners().isEmpty());
    assertEquals(5 + 6 + 6, o.next().size());
    for (SearchCandidate c : o.next()) {
      assertTrue(MODELS.get("cpu").predictMs(Genome.decode(c.getGenes(), TINY)) <= 30.0);
      assertEquals(1, c.getGeneration());
    }
    var last =
        BreedNextGeneration.breed(
            cpu,
            new BreedNextGeneration.Settings(1, true, cfg, SpaceSpec.of(TINY), targets),
            TINY,
            MODELS);
    assertEquals(1, last.winners().size());
    assertTrue(last.next().isEmpty());
    double best =
        cpu.stream()
            .filter(s -> s.getPredictedMs() <= 30.0)
            .mapToDouble(ScoredCandidate::getFitness)
            .min()
            .orElseThrow();
    assertEquals(best, last.winners().get(0).getFitness());
    assertEquals(2, last.winners().get(0).getPredictedMs().size());
  }

  @Test
  void nsga2BreedsFromItsSurvivorsAndPicksAWinnerPerBudgetFromTheFront() {
    SearchConfig cfg =
        SearchConfig.builder()
            .sizes(30, 8, 6, 6, 2)
            .mutationProb(0.3)
            .seed(3)
            .fitnessPrecision(1e-4)
            .maxSampleTries(200)
            .mode(SearchMode.NSGA2)
            .hvReference(Hypervolume.Reference.DEFAULT)
            .build();
    List<TargetBudgets> targets =
        List.of(new TargetBudgets("cpu", SyntheticLatency.factory(1.0), List.of(22.0, 30.0, 1.0)));
    var r =
        EvaluateCandidates.evaluateShard(
            candidates(), 3, 3, 0, Map.of(), SyntheticFitness::loss, MODELS, "ck");
    List<ScoredCandidate> cpu =
        r.scored().stream().filter(s -> s.getTarget().equals("cpu")).toList();
    var mid =
        BreedNextGeneration.breed(
            cpu,
            new BreedNextGeneration.Settings(0, false, cfg, SpaceSpec.of(TINY), targets),
            TINY,
            MODELS);
    List<ScoredCandidate> shuffled = new ArrayList<>(cpu);
    Collections.shuffle(shuffled, new Random(3));
    assertEquals(
        mid,
        BreedNextGeneration.breed(
            shuffled,
            new BreedNextGeneration.Settings(0, false, cfg, SpaceSpec.of(TINY), targets),
            TINY,
            MODELS));
    assertEquals(8 + 6 + 6, mid.next().size());
    assertTrue(mid.winners().isEmpty());
    var hat =
        BreedNextGeneration.breed(
            cpu,
            new BreedNextGeneration.Settings(
                0,
                false,
                cfg.toBuilder().mode(SearchMode.HAT).build(),
                SpaceSpec.of(TINY),
                targets),
            TINY,
            MODELS);
    assertEquals(hat.stats(), mid.stats(), "the statistics do not depend on the mode");
    assertTrue(!hat.next().equals(mid.next()));

    var last =
        BreedNextGeneration.breed(
            cpu,
            new BreedNextGeneration.Settings(1, true, cfg, SpaceSpec.of(TINY), targets),
            TINY,
            MODELS);
    // 1 ms is below every config: no winner for it; 30 ms gets the best loss under 30, as HAT's
    // search would.
    assertEquals(List.of(22.0, 30.0), last.winners().stream().map(w -> w.getBudgetMs()).toList());
    for (var w : last.winners()) {
      double best =
          cpu.stream()
              .filter(s -> s.getPredictedMs() <= w.getBudgetMs())
              .mapToDouble(ScoredCandidate::getFitness)
              .min()
              .orElseThrow();
      assertEquals(best, w.getFitness(), 1e-4);
      assertTrue(w.getPredictedMs().get("cpu") <= w.getBudgetMs());
    }
  }
}
