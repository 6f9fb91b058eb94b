package io.hatflow.pipelines.search;

import io.hatflow.core.run.UserInputException;
import io.hatflow.core.search.Evolution;
import io.hatflow.core.search.FitnessFactory;
import io.hatflow.core.search.Genome;
import io.hatflow.core.search.LatencyModel;
import io.hatflow.core.search.LatencyRange;
import io.hatflow.core.search.Population;
import io.hatflow.core.search.SearchConfig;
import io.hatflow.core.search.SearchId;
import io.hatflow.core.search.SearchMode;
import io.hatflow.core.search.SpaceSpec;
import io.hatflow.core.search.TargetBudgets;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.pipelines.io.AvroFiles;
import io.hatflow.schemas.Evaluation;
import io.hatflow.schemas.GenerationStats;
import io.hatflow.schemas.SearchCandidate;
import io.hatflow.schemas.StoredFitness;
import io.hatflow.schemas.Winner;
import io.hatflow.transforms.search.BreedNextGeneration;
import io.hatflow.transforms.search.EvaluateCandidates;
import io.hatflow.transforms.search.SmallAvroFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.avro.io.AvroIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * HAT's evolutionary search for every (target, budget) at once: one fan-out per generation shared
 * by all searches, as Beam jobs driven by a loop.
 *
 * <p><b>Loop shape: a driver loop, one Beam job per generation (default), state materialised
 * between jobs.</b> Beam has no loop; the alternatives were unrolling all generations into one
 * graph, or this. Why:
 *
 * <ul>
 *   <li>Resume: every finished generation is a resume point (population, evaluations and stats of
 *       generation g are on disk with a DONE marker; all randomness derives from (seed, generation,
 *       target, budget, slot), so a resumed search draws exactly what an uninterrupted one would:
 *       tested).
 *   <li>Unrolling does not scale on Flink: with all 30 of HAT's generations in one graph, Flink's
 *       batch optimizer had not finished translating the plan after 3.5 minutes (90 s of CPU in
 *       {@code org.apache.flink.optimizer.dag} visitors; every generation adds a diamond, so the
 *       paths the optimizer walks multiply). A few generations per job work ({@code
 *       generationsPerJob}, tested with 2 on Flink and 3 on Direct: byte-identical winners) and
 *       save a job start per generation, at the price of coarser resume points.
 *   <li>The price of the loop is a fixed cost per generation: measured by launch/bench/search.sh on
 *       a 2-core machine shared with other jobs (load ~15), 6-8 s on Flink [local] (mini-cluster
 *       start and scheduling), ~10 s on DirectRunner, with a free fitness. A real fitness (a
 *       validation pass of a SubTransformer per distinct config, hundreds per generation) dwarfs
 *       it; a free one does not.
 * </ul>
 *
 * <p>Each generation: read the population of every search, {@link EvaluateCandidates} (shard by
 * config key, store lookup, one fitness evaluation per distinct new config, latency for every
 * target, join back), {@link BreedNextGeneration} per search, then write the new store entries,
 * evaluations, statistics and the next population (or the winners) through one shuffle ({@link
 * SmallAvroFiles}). After the last generation {@link SearchOutputs} writes winners, YAMLs, Pareto
 * frontiers and history.
 */
public final class SearchPipeline {
  /**
   * Random configs drawn (besides the smallest and largest) to estimate a target's minimum latency.
   */
  static final int LATENCY_RANGE_SAMPLES = 2000;

  /** Default generations per Beam job (see the class comment). */
  public static final int GENERATIONS_PER_JOB = 1;

  private SearchPipeline() {}

  /**
   * As {@link #run(SearchConfig, SearchSpace, List, FitnessFactory, String, Path, String, String,
   * int, PipelineOptions, SearchProgress)} with state and store under {@code outDir}.
   */
  public static SearchResult run(
      SearchConfig cfg,
      SearchSpace space,
      List<TargetBudgets> targets,
      FitnessFactory fitness,
      String checkpointDigest,
      Path outDir,
      PipelineOptions options,
      SearchProgress progress) {
    return run(
        cfg,
        space,
        targets,
        fitness,
        checkpointDigest,
        outDir,
        outDir.resolve(SearchOutputs.EVAL_STORE),
        options,
        progress);
  }

  public static SearchResult run(
      SearchConfig cfg,
      SearchSpace space,
      List<TargetBudgets> targets,
      FitnessFactory fitness,
      String checkpointDigest,
      Path outDir,
      Path evalStore,
      PipelineOptions options,
      SearchProgress progress) {
    return run(
        cfg,
        space,
        targets,
        fitness,
        checkpointDigest,
        outDir,
        evalStore,
        GENERATIONS_PER_JOB,
        options,
        progress);
  }

  public static SearchResult run(
      SearchConfig cfg,
      SearchSpace space,
      List<TargetBudgets> targets,
      FitnessFactory fitness,
      String checkpointDigest,
      Path outDir,
      Path evalStore,
      int generationsPerJob,
      PipelineOptions options,
      SearchProgress progress) {
    return run(
        cfg,
        space,
        targets,
        fitness,
        checkpointDigest,
        outDir,
        outDir.resolve(SearchOutputs.STATE).toString(),
        evalStore.toString(),
        generationsPerJob,
        options,
        progress);
  }

  /**
   * Runs (or resumes) the search: generations' state under {@code stateRoot} and new fitness values
   * in {@code evalStore} (URIs the workers write, e.g. {@code hdfs://}), the outputs under the
   * local {@code outDir}.
   *
   * @param checkpointDigest digest of the SuperTransformer checkpoint: fitness values in {@code
   *     evalStore} under this digest are reused, never recomputed
   * @param evalStore folder of the evaluation store (shared by runs on the same checkpoint)
   * @param generationsPerJob generations unrolled into each Beam job: 1 makes every generation a
   *     resume point; more saves a job start per generation but resumes only at job boundaries
   * @throws IllegalArgumentException on bad settings, before any work: population < parents, a
   *     probability outside [0, 1], no targets, an empty budget list, a budget below the target's
   *     minimum predicted latency
   */
  public static SearchResult run(
      SearchConfig cfg,
      SearchSpace space,
      List<TargetBudgets> targets,
      FitnessFactory fitness,
      String checkpointDigest,
      Path outDir,
      String stateRoot,
      String evalStore,
      int generationsPerJob,
      PipelineOptions options,
      SearchProgress progress) {
    if (generationsPerJob < 1) {
      throw new IllegalArgumentException(
          "generationsPerJob: expected >= 1, got " + generationsPerJob);
    }
    Map<String, LatencyRange> ranges = new TreeMap<>();
    List<SearchId> searches = validate(cfg, space, targets, checkpointDigest, ranges);
    String state = stateRoot + "/" + digest(cfg, space, targets, checkpointDigest);
    List<String> warnings = new ArrayList<>();
    int start = firstUnfinished(state, cfg.generations());
    if (start == 0 && !AvroFiles.exists(populationFile(state, 0))) {
      List<SearchCandidate> pop = new ArrayList<>();
      for (TargetBudgets t : targets) {
        LatencyModel model = t.latency().open();
        for (SearchId id : searchesOf(cfg, t)) {
          Population p = Evolution.initialPopulation(space, cfg, id, model);
          warnings.addAll(p.warnings());
          for (int slot = 0; slot < p.members().size(); slot++) {
            pop.add(
                new SearchCandidate(
                    id.target(), id.budgetMs(), 0, slot, Genome.encode(p.members().get(slot))));
          }
        }
      }
      AvroFiles.write(populationFile(state, 0), SearchCandidate.class, pop);
    }

    // The store's reusable files: verified once here; each job's new entries join once sealed.
    List<String> storeWarnings = new ArrayList<>();
    List<String> storeFiles = new ArrayList<>(StoreSeals.verified(evalStore, storeWarnings));
    storeWarnings.forEach(
        w -> System.err.println("[search] warning: " + w)); // not in the outputs: runner-specific
    String runTag = UUID.randomUUID().toString().substring(0, 8);
    List<GenerationReport> reports = new ArrayList<>();
    SearchHypervolume hv = new SearchHypervolume(state, cfg, space, targets, ranges);
    long runStart = System.nanoTime();
    int ran = 0;
    int g = 0;
    while (g < cfg.generations()) {
      if (g < start) {
        GenerationReport r = report(state, g, cfg.generations(), 0, 0, true, hv.after(g));
        reports.add(r);
        progress.onGeneration(r);
        g++;
        continue;
      }
      int to = Math.min(cfg.generations(), g + generationsPerJob);
      long t0 = System.nanoTime();
      runGenerations(
          g,
          to,
          cfg,
          space,
          targets,
          fitness,
          checkpointDigest,
          state,
          evalStore,
          storeFiles,
          runTag,
          options);
      for (int done = g; done < to; done++) {
        AvroFiles.writeText(genDir(state, done) + "/DONE", "generation " + done + " finished\n");
      }
      ran += to - g;
      long wall = (System.nanoTime() - t0) / 1_000_000 / (to - g);
      long perGen = (System.nanoTime() - runStart) / 1_000_000 / ran;
      for (; g < to; g++) {
        GenerationReport r =
            report(
                state,
                g,
                cfg.generations(),
                wall,
                perGen * (cfg.generations() - g - 1),
                false,
                hv.after(g));
        reports.add(r);
        progress.onGeneration(r);
      }
    }
    return SearchOutputs.write(state, outDir, cfg, space, targets, searches, reports, warnings, hv);
  }

  private static String storeEntry(String evalStore, int generation, String runTag) {
    return evalStore + String.format("/fitness-g%04d-%s.avro", generation, runTag);
  }

  private static String rootCauseLine(Throwable e) {
    Throwable t = io.hatflow.core.run.Failures.root(e);
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  /**
   * The searches of a target: one per budget in HAT's mode; in nsga2 one, under the largest budget.
   */
  static List<SearchId> searchesOf(SearchConfig cfg, TargetBudgets t) {
    return cfg.mode() == SearchMode.NSGA2
        ? List.of(SearchHypervolume.nsga2Search(t))
        : t.searches();
  }

  /**
   * The (target, budget) pairs that get a winner, sorted; fills {@code ranges} with each target's
   * latency range.
   */
  private static List<SearchId> validate(
      SearchConfig cfg,
      SearchSpace space,
      List<TargetBudgets> targets,
      String checkpointDigest,
      Map<String, LatencyRange> ranges) {
    cfg.validate();
    if (targets == null || targets.isEmpty()) {
      throw new UserInputException("search: no targets (need at least one target with budgets_ms)");
    }
    if (checkpointDigest == null || checkpointDigest.isBlank()) {
      throw new IllegalArgumentException(
          "search: empty checkpoint digest (the evaluation store is keyed by it)");
    }
    Set<String> names = new HashSet<>();
    List<SearchId> searches = new ArrayList<>();
    for (TargetBudgets t : targets) {
      if (!names.add(t.name())) {
        throw new UserInputException("search: target " + t.name() + " is listed twice");
      }
      LatencyRange range =
          LatencyRange.estimate(space, t.latency().open(), cfg.seed(), LATENCY_RANGE_SAMPLES);
      ranges.put(t.name(), range);
      for (double b : t.budgetsMs()) {
        range.checkBudget(t.name(), b);
      }
      searches.addAll(t.searches());
    }
    searches.sort(Comparator.naturalOrder());
    return searches;
  }

  /** One Beam job for generations {@code from} (inclusive) to {@code to} (exclusive). */
  static void runGenerations(
      int from,
      int to,
      SearchConfig cfg,
      SearchSpace space,
      List<TargetBudgets> targets,
      FitnessFactory fitness,
      String checkpointDigest,
      String state,
      String evalStore,
      List<String> storeFiles,
      String runTag,
      PipelineOptions options) {
    Pipeline p = Pipeline.create(options);
    PCollection<SearchCandidate> population =
        p.apply(
            "ReadPopulation",
            AvroIO.read(SearchCandidate.class)
                .from(populationFile(state, from))
                .withEmptyMatchTreatment(EmptyMatchTreatment.ALLOW));
    // What is known before each generation: the store, plus what earlier generations of this job
    // evaluated.
    List<PCollection<StoredFitness>> known = new ArrayList<>();
    known.add(EvaluateCandidates.readStore(p, List.copyOf(storeFiles), checkpointDigest));
    SmallAvroFiles.Builder out = SmallAvroFiles.builder();
    for (int g = from; g < to; g++) {
      boolean last = g == cfg.generations() - 1;
      String dir = genDir(state, g);
      String n = "-g" + g;
      PCollectionView<Iterable<StoredFitness>> store =
          PCollectionList.of(known)
              .apply("KnownFitness" + n, Flatten.pCollections())
              .apply("KnownAsIterable" + n, View.asIterable());
      PCollectionTuple evaluated =
          population.apply(
              "Evaluate" + n,
              new EvaluateCandidates(
                  new EvaluateCandidates.Settings(
                      g,
                      space.maxEncoderLayers(),
                      space.maxDecoderLayers(),
                      fitness,
                      targets,
                      checkpointDigest,
                      shards(options),
                      optionalGenes(space)),
                  store));
      PCollectionTuple bred =
          evaluated
              .get(EvaluateCandidates.SCORED)
              .apply(
                  "Breed" + n,
                  new BreedNextGeneration(
                      new BreedNextGeneration.Settings(
                          g, last, cfg, SpaceSpec.of(space), targets)));
      PCollection<StoredFitness> fresh = evaluated.get(EvaluateCandidates.NEW_FITNESS);
      known.add(fresh);
      out.add("StoreEntries" + n, fresh, storeEntry(evalStore, g, runTag), StoredFitness.class)
          .add(
              "Evaluations" + n,
              evaluated.get(EvaluateCandidates.EVALUATIONS),
              dir + "/evaluations.avro",
              Evaluation.class)
          .add(
              "Stats" + n,
              bred.get(BreedNextGeneration.STATS),
              dir + "/stats.avro",
              GenerationStats.class);
      if (last) {
        out.add(
            "Winners" + n,
            bred.get(BreedNextGeneration.WINNERS),
            dir + "/winners.avro",
            Winner.class);
      } else {
        population = bred.get(BreedNextGeneration.NEXT);
        out.add(
            "NextPopulation" + n, population, populationFile(state, g + 1), SearchCandidate.class);
      }
    }
    out.write();
    String which = to - from == 1 ? "generation " + from : "generations " + from + ".." + (to - 1);
    PipelineResult.State s;
    try {
      s = p.run().waitUntilFinish();
    } catch (RuntimeException e) {
      // A lost worker, a killed job: the finished generations stay; say so in one line, with the
      // root cause.
      throw new IllegalStateException(
          "search "
              + which
              + " failed on the runner ("
              + rootCauseLine(e)
              + "); the generations before it are kept: run the same command again to resume there",
          e);
    }
    if (s != PipelineResult.State.DONE) {
      throw new IllegalStateException(
          "search "
              + which
              + " ended in state "
              + s
              + "; the generations before it are kept: run the same command again to resume there");
    }
    for (int g = from; g < to; g++) {
      if (StoreSeals.seal(storeEntry(evalStore, g, runTag))) {
        storeFiles.add(storeEntry(evalStore, g, runTag));
      }
    }
  }

  /** The search's {@code hypervolume.json} under {@code outDir}, parsed (for the manifest). */
  public static com.fasterxml.jackson.databind.JsonNode hypervolumeJson(Path outDir) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(outDir.resolve(SearchOutputs.HYPERVOLUME_JSON).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read " + outDir.resolve(SearchOutputs.HYPERVOLUME_JSON), e);
    }
  }

  /** Removes a search's generations (a fresh search breeds again from generation 0). */
  public static void deleteState(String stateRoot) {
    AvroFiles.deleteTree(stateRoot);
  }

  /**
   * Shards for the fan-out: about one config per shard in a demo-sized generation, 128 per slot on
   * big ones. A runner spreads shards over workers by hash, so few shards leave one worker with
   * most of the work: with 32 over 2 TaskManagers one got 19 and the other 13 (150 vs 90 configs).
   * The evaluator is opened once per worker, not per shard, so small shards cost nothing.
   */
  static int shards(PipelineOptions options) {
    int p = options.as(org.apache.beam.runners.flink.FlinkPipelineOptions.class).getParallelism();
    return Math.max(256, 128 * Math.max(1, p));
  }

  static String genDir(String state, int g) {
    return state + String.format("/gen-%04d", g);
  }

  static String populationFile(String state, int g) {
    return genDir(state, g) + "/population.avro";
  }

  /**
   * The first generation without a DONE marker (a generation is done only when all its files are).
   */
  static int firstUnfinished(String state, int generations) {
    int g = 0;
    while (g < generations && AvroFiles.exists(genDir(state, g) + "/DONE")) {
      g++;
    }
    return g;
  }

  private static GenerationReport report(
      String state,
      int g,
      int generations,
      long wallMs,
      long etaMs,
      boolean resumed,
      Map<String, Double> hypervolume) {
    List<Evaluation> evals =
        AvroFiles.read(genDir(state, g) + "/evaluations.avro", Evaluation.class);
    List<GenerationStats> stats =
        AvroFiles.read(genDir(state, g) + "/stats.avro", GenerationStats.class);
    int hits = (int) evals.stream().filter(Evaluation::getCached).count();
    Map<String, Double> best = new TreeMap<>();
    int candidates = 0;
    for (GenerationStats s : stats) {
      best.put(new SearchId(s.getTarget(), s.getBudgetMs()).name(), s.getBestFitness());
      candidates += s.getCandidates();
    }
    return new GenerationReport(
        g,
        generations,
        candidates,
        evals.size(),
        evals.size() - hits,
        hits,
        best,
        wallMs,
        etaMs,
        resumed,
        hypervolume);
  }

  /**
   * Names the state directory after everything that decides the search's course, so a changed spec
   * never resumes a different search's state. Latency models are identified by target name only: a
   * new predictor for the same target name needs a new outDir (or a checkpointDigest that includes
   * it).
   */
  static String digest(
      SearchConfig cfg, SearchSpace space, List<TargetBudgets> targets, String checkpointDigest) {
    StringBuilder b =
        new StringBuilder()
            .append(cfg.courseKey())
            .append('|')
            .append(space)
            .append('|')
            .append(checkpointDigest);
    for (TargetBudgets t : targets) {
      b.append('|').append(t.name()).append(t.budgetsMs()).append(t.latency().identity());
    }
    return io.hatflow.core.run.Digests.sha256(b.toString())
        .substring(0, 12); // the first 6 bytes, in hex
  }

  private static List<Boolean> optionalGenes(SearchSpace space) {
    List<Boolean> out = new ArrayList<>();
    for (boolean b : io.hatflow.core.search.Genome.optionalGenes(space)) {
      out.add(b);
    }
    return out;
  }
}
