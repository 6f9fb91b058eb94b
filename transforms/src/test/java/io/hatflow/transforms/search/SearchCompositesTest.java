package io.hatflow.transforms.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.hatflow.core.search.Hypervolume;
import io.hatflow.core.search.SearchConfig;
import io.hatflow.core.search.SearchId;
import io.hatflow.core.search.SearchMode;
import io.hatflow.core.search.SpaceSpec;
import io.hatflow.core.search.TargetBudgets;
import io.hatflow.core.search.testing.SyntheticFitness;
import io.hatflow.core.search.testing.SyntheticLatency;
import io.hatflow.schemas.GenerationStats;
import io.hatflow.schemas.ScoredCandidate;
import io.hatflow.schemas.SearchCandidate;
import io.hatflow.schemas.StoredFitness;
import io.hatflow.schemas.Winner;
import io.hatflow.transforms.testing.TestPipelineExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link EvaluateCandidates} and {@link BreedNextGeneration} as composites on the DirectRunner:
 * what the shuffles deliver (shards and groups in any order) gives exactly what their pure
 * functions give on the whole generation, so the Beam wiring neither loses, duplicates nor mixes
 * candidates between searches.
 */
@ExtendWith(TestPipelineExtension.class)
class SearchCompositesTest {
  final transient TestPipeline p = TestPipeline.create();

  static final List<TargetBudgets> TARGETS =
      List.of(
          new TargetBudgets("cpu", SyntheticLatency.factory(1.0), List.of(30.0)),
          new TargetBudgets("gpu", SyntheticLatency.factory(0.4), List.of(12.0)));

  static PCollectionTuple evaluate(
      TestPipeline p, List<SearchCandidate> cands, List<StoredFitness> store) {
    var view =
        p.apply("Store", Create.of(store).withCoder(AvroCoder.specific(StoredFitness.class)))
            .apply(View.asIterable());
    var s = new EvaluateCandidates.Settings(0, 3, 3, SyntheticFitness.factory(0), TARGETS, "ck", 4);
    return p.apply(
            "Candidates", Create.of(cands).withCoder(AvroCoder.specific(SearchCandidate.class)))
        .apply("Evaluate", new EvaluateCandidates(s, view));
  }

  @Test
  void evaluateCandidatesScoresEveryCandidateAndEvaluatesEachConfigOnceAcrossShards() {
    List<SearchCandidate> cands = SearchTransformsTest.candidates();
    var all =
        EvaluateCandidates.evaluateShard(
            cands, 3, 3, 0, Map.of(), SyntheticFitness::loss, SearchTransformsTest.MODELS, "ck");
    String known = all.evaluations().get(7).getConfigKey();
    var expected =
        EvaluateCandidates.evaluateShard(
            cands,
            3,
            3,
            0,
            Map.of(known, 1.5),
            SyntheticFitness::loss,
            SearchTransformsTest.MODELS,
            "ck");
    assertEquals(1, expected.evaluations().stream().filter(e -> e.getCached()).count());

    // The store view holds this checkpoint's entries (readStore filters by checkpoint before).
    PCollectionTuple out = evaluate(p, cands, List.of(new StoredFitness("ck", known, 1.5)));
    PAssert.that(out.get(EvaluateCandidates.SCORED)).containsInAnyOrder(expected.scored());
    PAssert.that(out.get(EvaluateCandidates.EVALUATIONS))
        .containsInAnyOrder(expected.evaluations());
    // Only misses go to the store: the known config is not evaluated again.
    PAssert.that(out.get(EvaluateCandidates.NEW_FITNESS)).containsInAnyOrder(expected.fresh());
    p.run().waitUntilFinish();
  }

  static SearchConfig config() {
    return SearchConfig.builder()
        .sizes(30, 5, 6, 6, 2)
        .mutationProb(0.3)
        .seed(3)
        .fitnessPrecision(1e-4)
        .maxSampleTries(200)
        .mode(SearchMode.HAT)
        .hvReference(Hypervolume.Reference.DEFAULT)
        .build();
  }

  /**
   * The pure reduction of every search's group: what the composite must produce, search by search.
   */
  static List<BreedNextGeneration.Outcome> bredPerSearch(
      List<ScoredCandidate> scored, BreedNextGeneration.Settings s) {
    Map<String, List<ScoredCandidate>> groups = new TreeMap<>();
    for (ScoredCandidate c : scored) {
      groups
          .computeIfAbsent(
              new SearchId(c.getTarget(), c.getBudgetMs()).name(), k -> new ArrayList<>())
          .add(c);
    }
    return groups.values().stream()
        .map(
            g ->
                BreedNextGeneration.breed(
                    g, s, SearchTransformsTest.TINY, SearchTransformsTest.MODELS))
        .toList();
  }

  static PCollectionTuple breed(
      TestPipeline p, List<ScoredCandidate> scored, BreedNextGeneration.Settings s) {
    return p.apply("Scored", Create.of(scored).withCoder(AvroCoder.specific(ScoredCandidate.class)))
        .apply("Breed", new BreedNextGeneration(s));
  }

  @Test
  void breedNextGenerationBreedsEachSearchFromItsOwnCandidates() {
    List<ScoredCandidate> scored =
        EvaluateCandidates.evaluateShard(
                SearchTransformsTest.candidates(),
                3,
                3,
                0,
                Map.of(),
                SyntheticFitness::loss,
                SearchTransformsTest.MODELS,
                "ck")
            .scored();
    var s =
        new BreedNextGeneration.Settings(
            0, false, config(), SpaceSpec.of(SearchTransformsTest.TINY), TARGETS);
    List<BreedNextGeneration.Outcome> expected = bredPerSearch(scored, s);
    assertEquals(2, expected.size(), "cpu and gpu searches");
    PCollectionTuple out = breed(p, scored, s);
    PAssert.that(out.get(BreedNextGeneration.NEXT))
        .containsInAnyOrder(expected.stream().flatMap(o -> o.next().stream()).toList());
    PAssert.that(out.get(BreedNextGeneration.STATS))
        .containsInAnyOrder(expected.stream().map(BreedNextGeneration.Outcome::stats).toList());
    PAssert.that(out.get(BreedNextGeneration.WINNERS)).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void afterTheLastGenerationBreedNextGenerationEmitsOneWinnerPerSearchAndNoCandidates() {
    List<ScoredCandidate> scored =
        EvaluateCandidates.evaluateShard(
                SearchTransformsTest.candidates(),
                3,
                3,
                0,
                Map.of(),
                SyntheticFitness::loss,
                SearchTransformsTest.MODELS,
                "ck")
            .scored();
    var s =
        new BreedNextGeneration.Settings(
            1, true, config(), SpaceSpec.of(SearchTransformsTest.TINY), TARGETS);
    List<Winner> winners =
        bredPerSearch(scored, s).stream().flatMap(o -> o.winners().stream()).toList();
    assertFalse(winners.isEmpty());
    PCollectionTuple out = breed(p, scored, s);
    PAssert.that(out.get(BreedNextGeneration.WINNERS)).containsInAnyOrder(winners);
    PAssert.that(out.get(BreedNextGeneration.NEXT)).empty();
    PAssert.that(out.get(BreedNextGeneration.STATS))
        .satisfies(
            stats -> {
              List<String> searches = new ArrayList<>();
              for (GenerationStats g : stats) {
                searches.add(g.getTarget() + "@" + g.getBudgetMs());
              }
              searches.sort(null);
              assertEquals(List.of("cpu@30.0", "gpu@12.0"), searches);
              return null;
            });
    p.run().waitUntilFinish();
  }
}
