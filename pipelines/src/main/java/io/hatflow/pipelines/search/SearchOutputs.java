package io.hatflow.pipelines.search;

import io.hatflow.pipelines.io.AvroFiles;

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
 * The search's outputs, from the materialised generations, each file written atomically:
 * {@code winners.avro}, {@code winners.json}, {@code winners/<target>-<budget>ms.yml} (HAT SubTransformer
 * YAML), {@code pareto.avro}, {@code pareto.json}, {@code history.avro}, {@code history.json} (per
 * generation and search), {@code generations.json} (per generation: evaluations, cache hits, wall time),
 * {@code summary.json}, {@code hypervolume.json} (normalisation bounds, reference point, final values) and, in
 * nsga2 mode, {@code front.json} (each target's final front). Everything sorted canonically, so equal searches give byte-identical files.
 */
final class SearchOutputs {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private SearchOutputs() {}

  static SearchResult write(String state, Path outDir, SearchConfig cfg, SearchSpace space, List<TargetBudgets> targets,
      List<SearchId> searches, List<GenerationReport> reports, List<String> initialWarnings, SearchHypervolume hv) {
    int last = cfg.generations() - 1;
    List<Winner> winners = new ArrayList<>(
        AvroFiles.read(SearchPipeline.genDir(state, last) + "/winners.avro", Winner.class));
    winners.sort(Comparator.comparing(Winner::getTarget).thenComparingDouble(Winner::getBudgetMs));

    List<GenerationStats> history = new ArrayList<>();
    Map<String, Evaluation> firstSeen = new TreeMap<>();
    long perSearchDistinct = 0;
    Map<String, Set<String>> keysPerSearch = new TreeMap<>();
    for (int g = 0; g <= last; g++) {
      String dir = SearchPipeline.genDir(state, g);
      history.addAll(AvroFiles.read(dir + "/stats.avro", GenerationStats.class));
      for (Evaluation e : AvroFiles.read(dir + "/evaluations.avro", Evaluation.class)) {
        firstSeen.putIfAbsent(e.getConfigKey(), e);
      }
      for (SearchCandidate c : AvroFiles.read(SearchPipeline.populationFile(state, g), SearchCandidate.class)) {
        keysPerSearch.computeIfAbsent(new SearchId(c.getTarget(), c.getBudgetMs()).name(), k -> new HashSet<>())
            .add(Genome.decode(c.getGenes(), space).key());
      }
    }
    history.sort(Comparator.comparingInt(GenerationStats::getGeneration).thenComparing(GenerationStats::getTarget)
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
        pts.add(new Pareto.Point(e.getConfigKey(), e.getFitness(), e.getPredictedMs().get(t.name())));
      }
      List<ParetoPoint> front = new ArrayList<>();
      for (Pareto.Point p : Pareto.frontier(pts)) {
        front.add(new ParetoPoint(t.name(), p.configKey(), firstSeen.get(p.configKey()).getConfig(), p.fitness(),
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
        warnings.add(id.name() + (nsga2 ? ": no member of the target's final NSGA-II front is under "
            + SearchId.budgetText(id.budgetMs()) + " ms, no winner" : ": no feasible config found, no winner"));
      }
    }

    AvroFiles.write(outDir.resolve("winners.avro"), Winner.class, winners);
    AvroFiles.writeText(outDir.resolve("winners.json"), json(Map.of("winners", winners.stream().map(SearchOutputs::winnerJson).toList())));
    for (Winner w : winners) {
      String name = new SearchId(w.getTarget(), w.getBudgetMs()).name();
      AvroFiles.writeText(outDir.resolve("winners").resolve(name + ".yml"), HatJson.read(w.getConfig()).toHatYaml());
    }
    AvroFiles.write(outDir.resolve("pareto.avro"), ParetoPoint.class, allPareto);
    Map<String, Object> paretoJson = new LinkedHashMap<>();
    pareto.forEach((t, pts) -> paretoJson.put(t, pts.stream().map(p -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("config_key", p.getConfigKey());
      m.put("fitness", p.getFitness());
      m.put("predicted_ms", p.getPredictedMs());
      m.put("config", HatJson.read(p.getConfig()).toHatMap());
      return m;
    }).toList()));
    AvroFiles.writeText(outDir.resolve("pareto.json"), json(paretoJson));
    AvroFiles.write(outDir.resolve("history.avro"), GenerationStats.class, history);
    AvroFiles.writeText(outDir.resolve("history.json"), json(history.stream().map(s -> {
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
    }).toList()));

    AvroFiles.writeText(outDir.resolve("hypervolume.json"), json(hv.json()));
    if (nsga2) {
      AvroFiles.writeText(outDir.resolve("front.json"), json(nsga2Fronts(state, last, cfg, space, targets)));
    }

    // Per generation, all searches together (wall times differ between runs: kept out of history.json).
    AvroFiles.writeText(outDir.resolve("generations.json"), json(reports.stream().map(r -> {
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
    }).toList()));

    long candidates = history.stream().mapToLong(GenerationStats::getCandidates).sum();
    long evaluations = reports.stream().filter(r -> !r.resumed()).mapToLong(GenerationReport::evaluations).sum();
    Map<String, Object> summary = new LinkedHashMap<>();
    if (nsga2) {
      // One search per target; the budgets are the winners picked from its front. (HAT's summary keeps its keys.)
      summary.put("mode", cfg.mode().specName());
      summary.put("searches", targets.stream().map(t -> SearchHypervolume.nsga2Search(t).name()).toList());
      summary.put("budgets", searches.stream().map(SearchId::name).toList());
    } else {
      summary.put("searches", searches.stream().map(SearchId::name).toList());
    }
    summary.put("generations", cfg.generations());
    summary.put("candidates", candidates);
    summary.put("per_search_distinct_configs", perSearchDistinct);
    summary.put("distinct_configs", firstSeen.size());
    summary.put("warnings", warnings);
    AvroFiles.writeText(outDir.resolve("summary.json"), json(summary));
    return new SearchResult(winners, pareto, history, reports, candidates, perSearchDistinct, firstSeen.size(),
        evaluations, warnings, outDir, hv.last());
  }

  /** Per target, NSGA-II's final front (the last generation's non-dominated members): what winners are picked from. */
  private static Map<String, Object> nsga2Fronts(String state, int last, SearchConfig cfg, SearchSpace space,
      List<TargetBudgets> targets) {
    Map<String, Evaluation> byKey = SearchHypervolume.evaluations(state, last);
    Map<String, Object> out = new TreeMap<>();
    for (TargetBudgets t : targets) {
      SearchId id = SearchHypervolume.nsga2Search(t);
      List<Scored> front = Nsga2.front(SearchHypervolume.evaluatedPopulation(state, last, id, space, byKey),
          id.budgetMs(), cfg.fitnessPrecision());
      front.sort(Comparator.comparingDouble(Scored::latencyMs).thenComparing(Scored::key));
      out.put(t.name(), front.stream().map(s -> {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config_key", s.key());
        m.put("fitness", s.fitness());
        m.put("predicted_ms", s.latencyMs());
        m.put("config", s.config().active().toHatMap());
        return m;
      }).toList());
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
    m.put("yaml", "winners/" + name + ".yml");
    return m;
  }

  private static String json(Object o) {
    try {
      return JSON.writeValueAsString(o) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
