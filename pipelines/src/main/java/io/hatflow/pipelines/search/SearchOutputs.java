package io.hatflow.pipelines.search;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.hatflow.core.search.Genome;
import io.hatflow.core.search.HatJson;
import io.hatflow.core.search.Nsga2;
import io.hatflow.core.search.Pareto;
import io.hatflow.core.search.Scored;
import io.hatflow.core.search.SearchConfig;
import io.hatflow.core.search.SearchId;
import io.hatflow.core.search.SearchMode;
import io.hatflow.core.search.TargetBudgets;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.pipelines.io.AvroFiles;
import io.hatflow.schemas.Evaluation;
import io.hatflow.schemas.GenerationStats;
import io.hatflow.schemas.ParetoPoint;
import io.hatflow.schemas.SearchCandidate;
import io.hatflow.schemas.Winner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The search's outputs, from the materialised generations, each file written atomically: {@code
 * winners.avro}, {@code winners.json}, {@code winners/<target>-<budget>ms.yml} (HAT SubTransformer
 * YAML), {@code pareto.avro}, {@code pareto.json}, {@code history.avro}, {@code history.json} (per
 * generation and search), {@code generations.json} (per generation: evaluations, cache hits, wall
 * time), {@code summary.json}, {@code hypervolume.json} (normalisation bounds, reference point,
 * final values) and, in nsga2 mode, {@code front.json} (each target's final front). Everything
 * sorted canonically, so equal searches give byte-identical files.
 */
public final class SearchOutputs {
  public static final String WINNERS_AVRO = "winners.avro";
  public static final String WINNERS_JSON = "winners.json";

  /** A folder: HAT's SubTransformer YAML per winner. */
  public static final String WINNERS_YAML = "winners";

  public static final String PARETO_AVRO = "pareto.avro";
  public static final String PARETO_JSON = "pareto.json";
  public static final String HISTORY_AVRO = "history.avro";
  public static final String HISTORY_JSON = "history.json";
  public static final String HYPERVOLUME_JSON = "hypervolume.json";
  public static final String FRONT_JSON = "front.json";
  public static final String GENERATIONS_JSON = "generations.json";
  public static final String SUMMARY_JSON = "summary.json";

  /**
   * The outputs the search stage records, in the manifest's order (its consumers' fingerprints
   * depend on it).
   */
  public static final List<String> RECORDED =
      List.of(
          WINNERS_JSON,
          WINNERS_AVRO,
          WINNERS_YAML,
          PARETO_JSON,
          PARETO_AVRO,
          HISTORY_JSON,
          HISTORY_AVRO,
          HYPERVOLUME_JSON,
          FRONT_JSON);

  /** The generations' state (resume points) and the evaluation store, folders of {@code outDir}. */
  public static final String STATE = "state";

  public static final String EVAL_STORE = "eval-store";

  /** Every generation's evaluated candidates, in the state. */
  static final String EVALUATIONS_AVRO = "evaluations.avro";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private SearchOutputs() {}

  static SearchResult write(
      String state,
      Path outDir,
      SearchConfig cfg,
      SearchSpace space,
      List<TargetBudgets> targets,
      List<SearchId> searches,
      List<GenerationReport> reports,
      List<String> initialWarnings,
      SearchHypervolume hv) {
    int last = cfg.generations() - 1;
    List<Winner> winners =
        new ArrayList<>(
            AvroFiles.read(SearchPipeline.genDir(state, last) + "/winners.avro", Winner.class));
    winners.sort(Comparator.comparing(Winner::getTarget).thenComparingDouble(Winner::getBudgetMs));

    List<GenerationStats> history = new ArrayList<>();
    Map<String, Evaluation> firstSeen = new TreeMap<>();
    long perSearchDistinct = 0;
    Map<String, Set<String>> keysPerSearch = new TreeMap<>();
    for (int g = 0; g <= last; g++) {
      String dir = SearchPipeline.genDir(state, g);
      history.addAll(AvroFiles.read(dir + "/stats.avro", GenerationStats.class));
      for (Evaluation e : AvroFiles.read(dir + "/" + EVALUATIONS_AVRO, Evaluation.class)) {
        firstSeen.putIfAbsent(e.getConfigKey(), e);
      }
      for (SearchCandidate c :
          AvroFiles.read(SearchPipeline.populationFile(state, g), SearchCandidate.class)) {
        keysPerSearch
            .computeIfAbsent(
                new SearchId(c.getTarget(), c.getBudgetMs()).name(), k -> new HashSet<>())
            .add(Genome.decode(c.getGenes(), space).key());
      }
    }
    history.sort(
        Comparator.comparingInt(GenerationStats::getGeneration)
            .thenComparing(GenerationStats::getTarget)
            .thenComparingDouble(GenerationStats::getBudgetMs));
    Map<Integer, GenerationReport> byGeneration = new TreeMap<>();
    reports.forEach(r -> byGeneration.put(r.generation(), r));
    for (GenerationStats s : history) {
      s.setHypervolume(byGeneration.get(s.getGeneration()).hypervolume().get(s.getTarget()));
    }
    for (Set<String> s : keysPerSearch.values()) {
      perSearchDistinct += s.size();
    }

    Map<String, List<ParetoPoint>> pareto = new TreeMap<>();
    List<ParetoPoint> allPareto = new ArrayList<>();
    for (TargetBudgets t : targets) {
      List<Pareto.Point> pts = new ArrayList<>();
      for (Evaluation e : firstSeen.values()) {
        pts.add(
            new Pareto.Point(e.getConfigKey(), e.getFitness(), e.getPredictedMs().get(t.name())));
      }
      List<ParetoPoint> front = new ArrayList<>();
      for (Pareto.Point p : Pareto.frontier(pts)) {
        front.add(
            new ParetoPoint(
                t.name(),
                p.configKey(),
                firstSeen.get(p.configKey()).getConfig(),
                p.fitness(),
                p.latencyMs()));
      }
      pareto.put(t.name(), front);
      allPareto.addAll(front);
    }

    List<String> warnings = new ArrayList<>(initialWarnings);
    for (GenerationStats s : history) {
      warnings.addAll(s.getWarnings());
    }
    Set<String> won = new HashSet<>();
    winners.forEach(w -> won.add(new SearchId(w.getTarget(), w.getBudgetMs()).name()));
    boolean nsga2 = cfg.mode() == SearchMode.NSGA2;
    for (SearchId id : searches) {
      if (!won.contains(id.name())) {
        warnings.add(
            id.name()
                + (nsga2
                    ? ": no member of the target's final NSGA-II front is under "
                        + SearchId.budgetText(id.budgetMs())
                        + " ms, no winner"
                    : ": no feasible config found, no winner"));
      }
    }

    AvroFiles.write(outDir.resolve(WINNERS_AVRO), Winner.class, winners);
    AvroFiles.writeText(
        outDir.resolve(WINNERS_JSON),
        json(Map.of("winners", winners.stream().map(SearchOutputs::winnerJson).toList())));
    for (Winner w : winners) {
      String name = new SearchId(w.getTarget(), w.getBudgetMs()).name();
      AvroFiles.writeText(
          outDir.resolve(WINNERS_YAML).resolve(name + ".yml"),
          HatJson.read(w.getConfig()).toHatYaml());
    }
    AvroFiles.write(outDir.resolve(PARETO_AVRO), ParetoPoint.class, allPareto);
    Map<String, Object> paretoJson = new LinkedHashMap<>();
    pareto.forEach(
        (t, pts) ->
            paretoJson.put(
                t,
                pts.stream()
                    .map(
                        p -> {
                          Map<String, Object> m = new LinkedHashMap<>();
                          m.put("config_key", p.getConfigKey());
                          m.put("fitness", p.getFitness());
                          m.put("predicted_ms", p.getPredictedMs());
                          m.put("config", HatJson.read(p.getConfig()).toHatMap());
                          return m;
                        })
                    .toList()));
    AvroFiles.writeText(outDir.resolve(PARETO_JSON), json(paretoJson));
    AvroFiles.write(outDir.resolve(HISTORY_AVRO), GenerationStats.class, history);
    AvroFiles.writeText(
        outDir.resolve(HISTORY_JSON),
        json(
            history.stream()
                .map(
                    s -> {
                      Map<String, Object> m = new LinkedHashMap<>();
                      m.put("generation", s.getGeneration());
                      m.put("search", new SearchId(s.getTarget(), s.getBudgetMs()).name());
                      m.put("candidates", s.getCandidates());
                      m.put("feasible", s.getFeasible());
                      m.put("best_fitness", s.getBestFitness());
                      m.put("mean_fitness", s.getMeanFitness());
                      m.put("best_config_key", s.getBestConfigKey());
                      m.put("best_predicted_ms", s.getBestPredictedMs());
                      m.put("hypervolume", s.getHypervolume());
                      return m;
                    })
                .toList()));

    AvroFiles.writeText(outDir.resolve(HYPERVOLUME_JSON), json(hv.json()));
    if (nsga2) {
      AvroFiles.writeText(
          outDir.resolve(FRONT_JSON), json(nsga2Fronts(state, last, cfg, space, targets)));
    }

    // Per generation, all searches together (wall times differ between runs: kept out of
    // history.json).
    AvroFiles.writeText(
        outDir.resolve(GENERATIONS_JSON),
        json(
            reports.stream()
                .map(
                    r -> {
                      Map<String, Object> m = new LinkedHashMap<>();
                      m.put("generation", r.generation());
                      m.put("candidates", r.candidates());
                      m.put("distinct_configs", r.distinct());
                      m.put("evaluations", r.evaluations());
                      m.put("cache_hits", r.cacheHits());
                      m.put("wall_ms", r.wallMs());
                      m.put("resumed", r.resumed());
                      m.put("best", r.best());
                      return m;
                    })
                .toList()));

    long candidates = history.stream().mapToLong(GenerationStats::getCandidates).sum();
    long evaluations =
        reports.stream().filter(r -> !r.resumed()).mapToLong(GenerationReport::evaluations).sum();
    Map<String, Object> summary = new LinkedHashMap<>();
    if (nsga2) {
      // One search per target; the budgets are the winners picked from its front. (HAT's summary
      // keeps its keys.)
      summary.put("mode", cfg.mode().specName());
      summary.put(
          "searches", targets.stream().map(t -> SearchHypervolume.nsga2Search(t).name()).toList());
      summary.put("budgets", searches.stream().map(SearchId::name).toList());
    } else {
      summary.put("searches", searches.stream().map(SearchId::name).toList());
    }
    summary.put("generations", cfg.generations());
    summary.put("candidates", candidates);
    summary.put("per_search_distinct_configs", perSearchDistinct);
    summary.put("distinct_configs", firstSeen.size());
    summary.put("warnings", warnings);
    AvroFiles.writeText(outDir.resolve(SUMMARY_JSON), json(summary));
    return new SearchResult(
        winners,
        pareto,
        history,
        reports,
        candidates,
        perSearchDistinct,
        firstSeen.size(),
        evaluations,
        warnings,
        outDir,
        hv.last());
  }

  /**
   * Per target, NSGA-II's final front (the last generation's non-dominated members): what winners
   * are picked from.
   */
  private static Map<String, Object> nsga2Fronts(
      String state, int last, SearchConfig cfg, SearchSpace space, List<TargetBudgets> targets) {
    Map<String, Evaluation> byKey = SearchHypervolume.evaluations(state, last);
    Map<String, Object> out = new TreeMap<>();
    for (TargetBudgets t : targets) {
      SearchId id = SearchHypervolume.nsga2Search(t);
      List<Scored> front =
          Nsga2.front(
              SearchHypervolume.evaluatedPopulation(state, last, id, space, byKey),
              id.budgetMs(),
              cfg.fitnessPrecision());
      front.sort(Comparator.comparingDouble(Scored::latencyMs).thenComparing(Scored::key));
      out.put(
          t.name(),
          front.stream()
              .map(
                  s -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("config_key", s.key());
                    m.put("fitness", s.fitness());
                    m.put("predicted_ms", s.latencyMs());
                    m.put("config", s.config().active().toHatMap());
                    return m;
                  })
              .toList());
    }
    return out;
  }

  private static Map<String, Object> winnerJson(Winner w) {
    Map<String, Object> m = new LinkedHashMap<>();
    String name = new SearchId(w.getTarget(), w.getBudgetMs()).name();
    m.put("search", name);
    m.put("target", w.getTarget());
    m.put("budget_ms", w.getBudgetMs());
    m.put("config_key", w.getConfigKey());
    m.put("fitness", w.getFitness());
    m.put("predicted_ms", new TreeMap<>(w.getPredictedMs()));
    m.put("params", w.getParams());
    m.put("flops", w.getFlops());
    m.put("config", HatJson.read(w.getConfig()).toHatMap());
    m.put("yaml", WINNERS_YAML + "/" + name + ".yml");
    return m;
  }

  /**
   * Every distinct config evaluated by a search whose state lies under the local {@code stateRoot}
   * (all its generations, first sighting kept); {@code unreadable} collects the files that could
   * not be read.
   */
  public static Map<String, Evaluation> evaluated(Path stateRoot, List<String> unreadable) {
    Map<String, Evaluation> out = new TreeMap<>();
    if (!java.nio.file.Files.isDirectory(stateRoot)) {
      return out;
    }
    List<Path> files;
    try (java.util.stream.Stream<Path> s = java.nio.file.Files.walk(stateRoot)) {
      files = s.filter(p -> p.getFileName().toString().equals(EVALUATIONS_AVRO)).sorted().toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot list " + stateRoot, e);
    }
    for (Path f : files) {
      try (org.apache.avro.file.DataFileReader<Evaluation> r =
          new org.apache.avro.file.DataFileReader<>(
              f.toFile(), new org.apache.avro.specific.SpecificDatumReader<>(Evaluation.class))) {
        r.forEach(e -> out.putIfAbsent(e.getConfigKey(), e));
      } catch (java.io.IOException e) {
        unreadable.add(f + ": unreadable (" + e.getMessage() + ")");
      }
    }
    return out;
  }

  private static String json(Object o) {
    try {
      return JSON.writeValueAsString(o) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
