package io.hatflow.pipelines.search;

import io.hatflow.core.run.UserInputException;
import io.hatflow.core.search.Hypervolume;
import io.hatflow.core.search.LatencyRange;
import io.hatflow.core.search.SearchConfig;
import io.hatflow.core.search.SearchMode;
import io.hatflow.core.search.TargetBudgets;
import io.hatflow.core.search.testing.SyntheticFitness;
import io.hatflow.core.search.testing.SyntheticLatency;
import io.hatflow.core.space.SearchSpace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Benchmark of the search's fan-out (launch/bench/search.sh). Uses SYNTHETIC fitness and latency
 * doubles ({@link SyntheticFitness}, {@link SyntheticLatency}): the figures are about the
 * pipeline's shape (deduplication, caching, parallel speed-up), not about any model. The fitness
 * burns a calibrated, fixed amount of CPU per evaluation ({@code --fitness-ms}) to stand in for a
 * validation pass.
 *
 * <p>Args (all optional): {@code --generations 30 --population 125 --parents 25 --mutations 50
 * --crossovers 50 --fitness-ms 5 --repeats 1 --overhead-generations 3 --per-job 1 --out DIR}.
 */
public final class SearchBench {
  private SearchBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a =
        new LinkedHashMap<>(
            Map.of(
                "generations",
                "30",
                "population",
                "125",
                "parents",
                "25",
                "mutations",
                "50",
                "crossovers",
                "50",
                "fitness-ms",
                "5",
                "repeats",
                "1",
                "overhead-generations",
                "3",
                "per-job",
                "1",
                "out",
                Files.createTempDirectory("search-bench").toString()));
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--") || !a.containsKey(args[i].substring(2))) {
        throw new UserInputException(
            "unknown argument " + args[i] + " (known: --" + String.join(", --", a.keySet()) + ")");
      }
      a.put(args[i].substring(2), args[i + 1]);
    }
    int gens = Integer.parseInt(a.get("generations"));
    SearchConfig cfg =
        SearchConfig.builder()
            .sizes(
                Integer.parseInt(a.get("population")),
                Integer.parseInt(a.get("parents")),
                Integer.parseInt(a.get("mutations")),
                Integer.parseInt(a.get("crossovers")),
                gens)
            .mutationProb(0.3)
            .seed(2020L)
            .fitnessPrecision(1e-4)
            .maxSampleTries(1000)
            .mode(SearchMode.HAT)
            .hvReference(Hypervolume.Reference.DEFAULT)
            .build();
    double fitnessMs = Double.parseDouble(a.get("fitness-ms"));
    int repeats = Integer.parseInt(a.get("repeats"));
    int perJob = Integer.parseInt(a.get("per-job"));
    Path out = Path.of(a.get("out"));
    SearchSpace space = SearchSpace.preset("tiny");

    long itersPerMs = calibrate();
    long iters = Math.round(fitnessMs * itersPerMs);
    double measuredMs = timeOneEvaluation(iters);
    List<TargetBudgets> targets = new ArrayList<>();
    for (var t : List.of(Map.entry("cpu", 1.0), Map.entry("gpu", 0.4), Map.entry("arm", 2.5))) {
      LatencyRange r = LatencyRange.estimate(space, new SyntheticLatency(t.getValue()), 1, 2000);
      List<Double> budgets = new ArrayList<>();
      for (double f : new double[] {0.3, 0.5, 0.7}) {
        budgets.add(Math.round((r.minMs() + f * (r.maxMs() - r.minMs())) * 10) / 10.0);
      }
      targets.add(new TargetBudgets(t.getKey(), SyntheticLatency.factory(t.getValue()), budgets));
    }
    System.out.printf(
        Locale.ROOT,
        "SYNTHETIC fitness/latency doubles (not models). space=tiny, targets=%s%n",
        targets.stream().map(t -> t.name() + t.budgetsMs()).toList());
    System.out.printf(
        Locale.ROOT,
        "search: population %d, parents %d, mutations %d, crossovers %d, generations %d;"
            + " fitness cost %.2f ms/eval (single thread, measured %.2f); %d generation(s) per Beam job%n",
        cfg.population(),
        cfg.parents(),
        cfg.mutations(),
        cfg.crossovers(),
        gens,
        fitnessMs,
        measuredMs,
        perJob);

    // Fixed cost of one generation (pipeline start, shuffles, file writes), fitness free.
    int og = Integer.parseInt(a.get("overhead-generations"));
    if (og > 0) {
      SearchConfig small = cfg.toBuilder().generations(og).build();
      for (int p : new int[] {1, 2}) {
        List<Long> perGen = new ArrayList<>();
        SearchPipeline.run(
            small,
            space,
            targets,
            SyntheticFitness.factory(0),
            "bench",
            out.resolve("overhead-p" + p),
            flink(p),
            r -> perGen.add(r.wallMs()));
        System.out.printf(
            Locale.ROOT,
            "per-generation fixed cost, Flink [local] p=%d, fitness free: %s ms (median %d)%n",
            p,
            perGen,
            median(perGen));
      }
      List<Long> perGen = new ArrayList<>();
      SearchPipeline.run(
          small,
          space,
          targets,
          SyntheticFitness.factory(0),
          "bench",
          out.resolve("overhead-direct"),
          PipelineOptionsFactory.create(),
          r -> perGen.add(r.wallMs()));
      System.out.printf(
          Locale.ROOT,
          "per-generation fixed cost, DirectRunner, fitness free: %s ms (median %d)%n",
          perGen,
          median(perGen));
    }

    Map<Integer, List<Long>> walls = new LinkedHashMap<>();
    Map<Integer, SearchResult> results = new LinkedHashMap<>();
    for (int rep = 0; rep < repeats; rep++) {
      for (int p : new int[] {1, 2}) {
        Path dir = out.resolve("rep" + rep + "-p" + p);
        long t0 = System.nanoTime();
        SearchResult r =
            SearchPipeline.run(
                cfg,
                space,
                targets,
                SyntheticFitness.factory(iters),
                "bench",
                dir,
                dir.resolve("eval-store"),
                perJob,
                flink(p),
                g -> System.out.println("  p=" + p + " " + g.line()));
        long wall = (System.nanoTime() - t0) / 1_000_000;
        walls.computeIfAbsent(p, k -> new ArrayList<>()).add(wall);
        results.put(p, r);
        System.out.printf(Locale.ROOT, "run rep=%d p=%d: %.1f s%n", rep, p, wall / 1000.0);
      }
    }
    SearchResult r = results.get(2);
    boolean same =
        Arrays.equals(
            Files.readAllBytes(results.get(1).outDir().resolve("winners.json")),
            Files.readAllBytes(r.outDir().resolve("winners.json")));
    long hits = r.generations().stream().mapToLong(GenerationReport::cacheHits).sum();
    long looked = r.generations().stream().mapToLong(GenerationReport::distinct).sum();
    long w1 = median(walls.get(1));
    long w2 = median(walls.get(2));
    double fitnessS = r.fitnessEvaluations() * measuredMs / 1000.0;
    System.out.println("---- figures (machine shared with other jobs: noisy) ----");
    System.out.printf(
        Locale.ROOT,
        "searches: 9 (3 targets x 3 budgets); candidates evaluated by HAT's loop: %d%n",
        r.candidates());
    System.out.printf(
        Locale.ROOT,
        "distinct fitness evaluations (shared fan-out + store): %d%n",
        r.distinctConfigs());
    System.out.printf(
        Locale.ROOT,
        "nine separate searches, each caching its own configs: %d evaluations -> saved %d (%.1f%%)%n",
        r.perSearchDistinct(),
        r.perSearchDistinct() - r.distinctConfigs(),
        100.0 * (r.perSearchDistinct() - r.distinctConfigs()) / r.perSearchDistinct());
    System.out.printf(
        Locale.ROOT,
        "vs HAT (every candidate every generation): saved %d (%.1f%%)%n",
        r.candidates() - r.distinctConfigs(),
        100.0 * (r.candidates() - r.distinctConfigs()) / r.candidates());
    System.out.printf(
        Locale.ROOT,
        "cache: %d of %d distinct per-generation lookups hit the store (%.1f%%);"
            + " candidate-level hit rate %.1f%%%n",
        hits,
        looked,
        100.0 * hits / looked,
        100.0 * (r.candidates() - r.fitnessEvaluations()) / r.candidates());
    System.out.printf(
        Locale.ROOT,
        "wall Flink [local] p=1: %.1f s (runs %s), p=2: %.1f s (runs %s); speed-up %.2fx%n",
        w1 / 1000.0,
        walls.get(1),
        w2 / 1000.0,
        walls.get(2),
        (double) w1 / w2);
    System.out.printf(
        Locale.ROOT,
        "candidates/s: p=1 %.1f, p=2 %.1f%n",
        r.candidates() * 1000.0 / w1,
        r.candidates() * 1000.0 / w2);
    System.out.printf(
        Locale.ROOT,
        "fitness time (evaluations x single-thread cost): %.1f s = %.0f%% of the p=1 wall;"
            + " everything else %.1f s%n",
        fitnessS,
        100.0 * fitnessS * 1000 / w1,
        w1 / 1000.0 - fitnessS);
    System.out.printf(Locale.ROOT, "winners identical at p=1 and p=2: %s%n", same);
    System.out.println("warnings: " + r.warnings().size());
  }

  static PipelineOptions flink(int parallelism) {
    FlinkPipelineOptions o = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    o.setRunner(FlinkRunner.class);
    o.setFlinkMaster("[local]");
    o.setParallelism(parallelism);
    return o;
  }

  static long calibrate() {
    long n = 20_000_000;
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      long t0 = System.nanoTime();
      SyntheticFitness.burn(n, i);
      best = Math.min(best, System.nanoTime() - t0);
    }
    return Math.max(1, n * 1_000_000 / best);
  }

  static double timeOneEvaluation(long iters) {
    List<Long> ns = new ArrayList<>();
    for (int i = 0; i < 21; i++) {
      long t0 = System.nanoTime();
      SyntheticFitness.burn(iters, i);
      ns.add(System.nanoTime() - t0);
    }
    return median(ns) / 1e6;
  }

  static long median(List<Long> xs) {
    List<Long> s = new ArrayList<>(xs);
    s.sort(null);
    return s.get(s.size() / 2);
  }
}
