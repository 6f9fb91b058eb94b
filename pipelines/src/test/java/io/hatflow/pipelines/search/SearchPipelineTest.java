package io.hatflow.pipelines.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.search.Fitness;
import io.hatflow.core.search.FitnessFactory;
import io.hatflow.core.search.HatJson;
import io.hatflow.core.search.Hypervolume;
import io.hatflow.core.search.SearchConfig;
import io.hatflow.core.search.SearchMode;
import io.hatflow.core.search.TargetBudgets;
import io.hatflow.core.search.testing.SyntheticFitness;
import io.hatflow.core.search.testing.SyntheticLatency;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.schemas.Winner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchPipelineTest {
  static final SearchSpace TINY = SearchSpace.preset("tiny");
  static final SearchConfig CFG =
      SearchConfig.builder()
          .sizes(16, 4, 6, 6, 3)
          .mutationProb(0.3)
          .seed(17L)
          .fitnessPrecision(1e-4)
          .maxSampleTries(200)
          .mode(SearchMode.HAT)
          .hvReference(Hypervolume.Reference.DEFAULT)
          .build();

  /** NSGA-II at the same per-search sizes: one search per target instead of two. */
  static final SearchConfig NSGA2 =
      CFG.toBuilder().sizes(16, 6, 5, 5, 3).mode(SearchMode.NSGA2).build();

  static final List<TargetBudgets> TARGETS =
      List.of(
          new TargetBudgets("cpu", SyntheticLatency.factory(1.0), List.of(22.0, 27.0)),
          new TargetBudgets("gpu", SyntheticLatency.factory(0.4), List.of(9.0, 11.5)));

  /** Counts evaluations per config key across all workers of the (in-JVM) runners. */
  static final Map<String, AtomicInteger> CALLS = new ConcurrentHashMap<>();

  static final AtomicInteger OPENED = new AtomicInteger();

  static final class CountingFitness implements Fitness {
    @Override
    public double validLoss(SubConfig config) {
      CALLS.computeIfAbsent(config.key(), k -> new AtomicInteger()).incrementAndGet();
      return SyntheticFitness.loss(config);
    }
  }

  static final FitnessFactory COUNTING =
      () -> {
        OPENED.incrementAndGet();
        return new CountingFitness();
      };

  @TempDir Path tmp;

  @BeforeEach
  void reset() {
    CALLS.clear();
    OPENED.set(0);
  }

  static PipelineOptions direct() {
    return PipelineOptionsFactory.create();
  }

  static PipelineOptions flink() {
    FlinkPipelineOptions o = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    o.setRunner(FlinkRunner.class);
    o.setFlinkMaster("[local]");
    o.setParallelism(2);
    return o;
  }

  static SearchResult search(Path out, Path store, PipelineOptions o, List<String> lines) {
    return SearchPipeline.run(
        CFG, TINY, TARGETS, COUNTING, "ckpt-1", out, store, o, r -> lines.add(r.line()));
  }

  @Test
  void directRunnerEvaluatesEachDistinctConfigOnceAndWinnersFitTheirBudgets() throws Exception {
    List<String> lines = new ArrayList<>();
    SearchResult r = search(tmp.resolve("out"), tmp.resolve("store"), direct(), lines);

    assertEquals(4, r.winners().size());
    for (Winner w : r.winners()) {
      SubConfig c = HatJson.read(w.getConfig());
      double own = w.getPredictedMs().get(w.getTarget());
      assertTrue(own <= w.getBudgetMs(), w.getConfigKey() + " " + own + " > " + w.getBudgetMs());
      double scale = w.getTarget().equals("cpu") ? 1.0 : 0.4;
      assertEquals(new SyntheticLatency(scale).predictMs(c), own, 1e-9);
      assertEquals(2, w.getPredictedMs().size());
      assertTrue(TINY.contains(c));
      Path yml =
          tmp.resolve("out/winners")
              .resolve(
                  w.getTarget()
                      + "-"
                      + io.hatflow.core.search.SearchId.budgetText(w.getBudgetMs())
                      + "ms.yml");
      assertEquals(c.toHatYaml(), Files.readString(yml));
    }
    // The evolution improved (or kept) the best fitness of every search: elitism.
    for (var s : r.history()) {
      if (s.getGeneration() > 0) {
        double prev =
            r.history().stream()
                .filter(
                    h ->
                        h.getGeneration() == s.getGeneration() - 1
                            && h.getTarget().equals(s.getTarget())
                            && h.getBudgetMs() == s.getBudgetMs())
                .findFirst()
                .orElseThrow()
                .getBestFitness();
        assertTrue(s.getBestFitness() <= prev + 1e-12);
      }
    }
    // Every distinct config evaluated exactly once, across generations, targets and budgets.
    CALLS.forEach((k, n) -> assertEquals(1, n.get(), k));
    assertEquals(CALLS.size(), r.distinctConfigs());
    assertEquals(CALLS.size(), r.fitnessEvaluations());
    assertEquals(
        r.generations().stream().mapToInt(GenerationReport::evaluations).sum(), CALLS.size());
    assertTrue(
        r.distinctConfigs() <= r.perSearchDistinct(),
        "shared store never costs more: " + r.distinctConfigs() + " vs " + r.perSearchDistinct());
    assertTrue(r.perSearchDistinct() < r.candidates());
    assertTrue(
        OPENED.get() < CALLS.size(), "fitness opened per worker, not per element: " + OPENED.get());
    assertEquals(3, lines.size());
    assertTrue(lines.get(2).startsWith("search gen 3/3:"), lines.get(2));
    assertTrue(
        lines.get(2).matches(".*; hypervolume cpu=0\\.\\d{4} gpu=0\\.\\d{4}$"), lines.get(2));
    // HAT's hypervolume is of everything evaluated so far: it never falls, and each entry has its
    // target's.
    for (var s : r.history()) {
      assertTrue(s.getHypervolume() > 0 && s.getHypervolume() <= 1.21, s.toString());
      if (s.getGeneration() > 0) {
        double prev =
            r.history().stream()
                .filter(
                    h ->
                        h.getGeneration() == s.getGeneration() - 1
                            && h.getTarget().equals(s.getTarget()))
                .findFirst()
                .orElseThrow()
                .getHypervolume();
        assertTrue(s.getHypervolume() >= prev, s.getHypervolume() + " < " + prev);
      }
    }
    assertEquals(
        r.history().stream()
            .filter(h -> h.getGeneration() == 2 && h.getTarget().equals("cpu"))
            .findFirst()
            .orElseThrow()
            .getHypervolume(),
        r.hypervolume().get("cpu"));
    var hv =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(tmp.resolve("out/hypervolume.json").toFile());
    assertEquals("[1.1,1.1]", hv.path("reference").toString());
    assertTrue(hv.path("loss_bounds").get(0).asDouble() < hv.path("loss_bounds").get(1).asDouble());
    assertEquals(2, hv.path("latency_bounds_ms").size());
    assertFalse(Files.exists(tmp.resolve("out/front.json")), "front.json is nsga2's");
    assertFalse(r.pareto().get("cpu").isEmpty());
    for (String f :
        List.of(
            "winners.avro",
            "winners.json",
            "pareto.avro",
            "pareto.json",
            "history.avro",
            "history.json",
            "generations.json",
            "summary.json",
            "hypervolume.json")) {
      assertTrue(Files.exists(tmp.resolve("out").resolve(f)), f);
    }

    // A second search on the same checkpoint reuses the store: nothing new to evaluate, same
    // winners.
    CALLS.clear();
    SearchResult again =
        search(tmp.resolve("out2"), tmp.resolve("store"), direct(), new ArrayList<>());
    assertEquals(0, again.fitnessEvaluations());
    assertTrue(CALLS.isEmpty());
    assertArrayEquals(
        Files.readAllBytes(tmp.resolve("out/winners.json")),
        Files.readAllBytes(tmp.resolve("out2/winners.json")));
    assertTrue(again.generations().stream().allMatch(g -> g.cacheHits() == g.distinct()));

    // All generations unrolled into one Beam job: the same winners, byte for byte.
    SearchPipeline.run(
        CFG,
        TINY,
        TARGETS,
        COUNTING,
        "ckpt-1",
        tmp.resolve("out3"),
        tmp.resolve("store3"),
        3,
        direct(),
        SearchProgress.NONE);
    assertArrayEquals(
        Files.readAllBytes(tmp.resolve("out/winners.json")),
        Files.readAllBytes(tmp.resolve("out3/winners.json")));
    assertArrayEquals(
        Files.readAllBytes(tmp.resolve("out/history.avro")),
        Files.readAllBytes(tmp.resolve("out3/history.avro")));
    CALLS.forEach(
        (k, n) ->
            assertEquals(1, n.get(), k)); // store3 was empty: each config once, within one job too
    CALLS.clear();

    // Resuming a finished search runs nothing; resuming after the last generation was lost redoes
    // only it.
    SearchResult resumed =
        search(tmp.resolve("out"), tmp.resolve("store"), direct(), new ArrayList<>());
    assertTrue(resumed.generations().stream().allMatch(GenerationReport::resumed));
    Path state = Files.list(tmp.resolve("out/state")).findFirst().orElseThrow();
    Files.delete(Path.of(SearchPipeline.genDir(state.toString(), 2), "DONE"));
    Files.delete(tmp.resolve("out/winners.json"));
    SearchResult redo =
        search(tmp.resolve("out"), tmp.resolve("store"), direct(), new ArrayList<>());
    assertEquals(
        List.of(true, true, false),
        redo.generations().stream().map(GenerationReport::resumed).toList());
    assertArrayEquals(
        Files.readAllBytes(tmp.resolve("out2/winners.json")),
        Files.readAllBytes(tmp.resolve("out/winners.json")));
    assertTrue(CALLS.isEmpty());
  }

  @Test
  void flinkAtParallelismTwoPicksByteIdenticalWinnersToDirect() throws Exception {
    SearchResult d =
        search(tmp.resolve("direct"), tmp.resolve("storeD"), direct(), new ArrayList<>());
    int directCalls = CALLS.size();
    CALLS.clear();
    // Generations 0-1 unrolled into one Flink job, generation 2 in a second: job boundaries change
    // nothing.
    SearchResult f =
        SearchPipeline.run(
            CFG,
            TINY,
            TARGETS,
            COUNTING,
            "ckpt-1",
            tmp.resolve("flink"),
            tmp.resolve("storeF"),
            2,
            flink(),
            SearchProgress.NONE);
    CALLS.forEach((k, n) -> assertEquals(1, n.get(), k));
    assertEquals(directCalls, CALLS.size());
    assertEquals(d.winners(), f.winners());
    for (String file :
        List.of("winners.avro", "winners.json", "pareto.json", "pareto.avro", "history.json")) {
      assertArrayEquals(
          Files.readAllBytes(tmp.resolve("direct").resolve(file)),
          Files.readAllBytes(tmp.resolve("flink").resolve(file)),
          file);
    }
  }

  /** front.json's members of one target: (config key, fitness, predicted ms). */
  static List<com.fasterxml.jackson.databind.JsonNode> front(Path out, String target)
      throws Exception {
    List<com.fasterxml.jackson.databind.JsonNode> f = new ArrayList<>();
    new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(out.resolve("front.json").toFile())
        .path(target)
        .forEach(f::add);
    return f;
  }

  @Test
  void
      nsga2SearchesOncePerTargetPicksEachBudgetFromItsFrontAndIsByteIdenticalOnFlinkAndAfterResume()
          throws Exception {
    List<String> lines = new ArrayList<>();
    Path out = tmp.resolve("direct");
    SearchResult d =
        SearchPipeline.run(
            NSGA2,
            TINY,
            TARGETS,
            COUNTING,
            "ckpt-1",
            out,
            tmp.resolve("storeD"),
            direct(),
            r -> lines.add(r.line()));
    CALLS.forEach((k, n) -> assertEquals(1, n.get(), k));
    int directCalls = CALLS.size();
    // One search per target, under its largest budget; three generations of 16 members each.
    assertEquals(
        List.of("cpu-27ms", "gpu-11.5ms"),
        d.history().stream()
            .filter(h -> h.getGeneration() == 0)
            .map(
                h ->
                    h.getTarget()
                        + "-"
                        + io.hatflow.core.search.SearchId.budgetText(h.getBudgetMs())
                        + "ms")
            .toList());
    assertEquals(2 * 3 * 16, d.candidates());
    assertTrue(lines.get(2).contains("; hypervolume cpu="), lines.get(2));
    var summary =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(out.resolve("summary.json").toFile());
    assertEquals("nsga2", summary.path("mode").asText());
    assertEquals("[\"cpu-27ms\",\"gpu-11.5ms\"]", summary.path("searches").toString());
    assertEquals(4, summary.path("budgets").size());
    // Each budget's winner is the lowest-loss member of the final front under it.
    assertEquals(4, d.winners().size());
    for (Winner w : d.winners()) {
      double own = w.getPredictedMs().get(w.getTarget());
      assertTrue(own <= w.getBudgetMs(), w.getConfigKey() + " " + own + " > " + w.getBudgetMs());
      List<com.fasterxml.jackson.databind.JsonNode> front = front(out, w.getTarget());
      assertTrue(
          front.stream().anyMatch(p -> p.path("config_key").asText().equals(w.getConfigKey())),
          w.getConfigKey());
      for (var p : front) {
        if (p.path("predicted_ms").asDouble() <= w.getBudgetMs()) {
          assertTrue(
              p.path("fitness").asDouble() >= w.getFitness() - 1e-4,
              p + " beats " + w.getConfigKey());
        }
      }
    }
    for (var s : d.history()) {
      assertTrue(s.getHypervolume() > 0 && s.getHypervolume() <= 1.21, s.toString());
    }

    // Flink at parallelism 2, generations 0-1 in one job and 2 in another: the same files, byte for
    // byte.
    CALLS.clear();
    SearchPipeline.run(
        NSGA2,
        TINY,
        TARGETS,
        COUNTING,
        "ckpt-1",
        tmp.resolve("flink"),
        tmp.resolve("storeF"),
        2,
        flink(),
        SearchProgress.NONE);
    assertEquals(directCalls, CALLS.size());
    List<String> files =
        List.of(
            "winners.avro",
            "winners.json",
            "pareto.json",
            "pareto.avro",
            "history.json",
            "history.avro",
            "front.json",
            "hypervolume.json",
            "summary.json");
    for (String file : files) {
      assertArrayEquals(
          Files.readAllBytes(out.resolve(file)),
          Files.readAllBytes(tmp.resolve("flink").resolve(file)),
          file);
    }

    // Resume after the last generation was lost: only it is redone, from the store, to the same
    // bytes.
    CALLS.clear();
    Path state = Files.list(out.resolve("state")).findFirst().orElseThrow();
    Files.delete(Path.of(SearchPipeline.genDir(state.toString(), 2), "DONE"));
    byte[] winners = Files.readAllBytes(out.resolve("winners.json"));
    Files.delete(out.resolve("winners.json"));
    SearchResult redo =
        SearchPipeline.run(
            NSGA2,
            TINY,
            TARGETS,
            COUNTING,
            "ckpt-1",
            out,
            tmp.resolve("storeD"),
            direct(),
            SearchProgress.NONE);
    assertEquals(
        List.of(true, true, false),
        redo.generations().stream().map(GenerationReport::resumed).toList());
    assertArrayEquals(winners, Files.readAllBytes(out.resolve("winners.json")));
    assertArrayEquals(
        Files.readAllBytes(tmp.resolve("flink/history.json")),
        Files.readAllBytes(out.resolve("history.json")));
    assertTrue(CALLS.isEmpty());
    // A HAT search of the same settings keeps its own state: the mode is part of the state's name.
    assertFalse(
        SearchPipeline.digest(NSGA2, TINY, TARGETS, "ckpt-1")
            .equals(
                SearchPipeline.digest(
                    NSGA2.toBuilder().mode(SearchMode.HAT).build(), TINY, TARGETS, "ckpt-1")));
  }

  @Test
  void badInputFailsBeforeAnyWork() {
    Path out = tmp.resolve("bad");
    IllegalArgumentException low =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SearchPipeline.run(
                    CFG,
                    TINY,
                    List.of(
                        new TargetBudgets(
                            "pi4", SyntheticLatency.factory(1.0), List.of(30.0, 5.0))),
                    COUNTING,
                    "c",
                    out,
                    direct(),
                    SearchProgress.NONE));
    assertTrue(
        low.getMessage().contains("pi4")
            && low.getMessage().contains("budget 5 ms")
            && low.getMessage().contains("minimum"),
        low.getMessage());
    IllegalArgumentException small =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SearchPipeline.run(
                    CFG.toBuilder().sizes(3, 4, 6, 6, 3).build(),
                    TINY,
                    TARGETS,
                    COUNTING,
                    "c",
                    out,
                    direct(),
                    SearchProgress.NONE));
    assertTrue(small.getMessage().contains("smaller than search.parents"), small.getMessage());
    SearchConfig badProb = CFG.toBuilder().mutationProb(-0.1).seed(1).maxSampleTries(10).build();
    assertThrows(
        IllegalArgumentException.class,
        () ->
            SearchPipeline.run(
                badProb, TINY, TARGETS, COUNTING, "c", out, direct(), SearchProgress.NONE));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            SearchPipeline.run(
                CFG, TINY, List.of(), COUNTING, "c", out, direct(), SearchProgress.NONE));
    assertThrows(
        IllegalArgumentException.class,
        () -> new TargetBudgets("cpu", SyntheticLatency.factory(1), List.of()));
    IllegalArgumentException few =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SearchPipeline.run(
                    NSGA2.toBuilder().sizes(3, 2, 1, 1, 3).build(),
                    TINY,
                    TARGETS,
                    COUNTING,
                    "c",
                    out,
                    direct(),
                    SearchProgress.NONE));
    assertTrue(
        few.getMessage().contains("search.population: mode nsga2 needs a population of at least 4"),
        few.getMessage());
    IllegalArgumentException ref =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SearchPipeline.run(
                    CFG.toBuilder().hvReference(new Hypervolume.Reference(1.1, 1.0)).build(),
                    TINY,
                    TARGETS,
                    COUNTING,
                    "c",
                    out,
                    direct(),
                    SearchProgress.NONE));
    assertTrue(
        ref.getMessage().contains("search.hv_reference: [1.1, 1.0] does not dominate"),
        ref.getMessage());
    assertFalse(Files.exists(out));
    assertTrue(CALLS.isEmpty());
  }
}
