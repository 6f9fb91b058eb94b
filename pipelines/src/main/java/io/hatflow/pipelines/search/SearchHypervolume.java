package io.hatflow.pipelines.search;

import io.hatflow.core.search.Genome;
import io.hatflow.core.search.Hypervolume;
import io.hatflow.core.search.LatencyRange;
import io.hatflow.core.search.Pareto;
import io.hatflow.core.search.Scored;
import io.hatflow.core.search.SearchConfig;
import io.hatflow.core.search.SearchId;
import io.hatflow.core.search.SearchMode;
import io.hatflow.core.search.TargetBudgets;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.pipelines.io.AvroFiles;
import io.hatflow.schemas.Evaluation;
import io.hatflow.schemas.SearchCandidate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The hypervolume the history records, per target after each generation, read from the generations'
 * materialised files (so every runner gets the same numbers). Normalisation is fixed at the start:
 * latency by the target's predicted range over the space ({@link LatencyRange}, seeded), loss by
 * the lowest and highest loss of generation 0's evaluations. Which points count depends on the
 * mode: in {@code hat} the front of every config evaluated so far (all budgets' searches share it,
 * each config at the target's latency); in {@code nsga2} the target's population of that generation
 * (its front decides the value). Call {@link #after} for generations 0, 1, 2, ... in order.
 */
final class SearchHypervolume {
  private final String state;
  private final SearchConfig cfg;
  private final SearchSpace space;
  private final List<TargetBudgets> targets;
  private final Map<String, LatencyRange> ranges;
  private final Map<String, List<Pareto.Point>> archive = new TreeMap<>();
  private double[] loss;
  private final Map<String, Double> last = new TreeMap<>();

  SearchHypervolume(
      String state,
      SearchConfig cfg,
      SearchSpace space,
      List<TargetBudgets> targets,
      Map<String, LatencyRange> ranges) {
    this.state = state;
    this.cfg = cfg;
    this.space = space;
    this.targets = targets;
    this.ranges = ranges;
  }

  /** The search of a target in nsga2 mode: one, constrained to its largest budget. */
  static SearchId nsga2Search(TargetBudgets t) {
    return new SearchId(
        t.name(), t.budgetsMs().stream().mapToDouble(Double::doubleValue).max().orElseThrow());
  }

  /**
   * The members of one search's population of generation {@code g} with their evaluation (loss,
   * latency on the search's target), as breeding saw them; {@code byKey}: that generation's
   * evaluations by config key.
   */
  static List<Scored> evaluatedPopulation(
      String state, int g, SearchId id, SearchSpace space, Map<String, Evaluation> byKey) {
    List<Scored> out = new ArrayList<>();
    for (SearchCandidate c :
        AvroFiles.read(SearchPipeline.populationFile(state, g), SearchCandidate.class)) {
      if (c.getTarget().equals(id.target()) && c.getBudgetMs() == id.budgetMs()) {
        SubConfig config = Genome.decode(c.getGenes(), space);
        Evaluation e = byKey.get(config.key());
        out.add(
            new Scored(c.getSlot(), config, e.getFitness(), e.getPredictedMs().get(id.target())));
      }
    }
    out.sort(java.util.Comparator.comparingInt(Scored::slot));
    return out;
  }

  static Map<String, Evaluation> evaluations(String state, int g) {
    Map<String, Evaluation> byKey = new HashMap<>();
    AvroFiles.read(SearchPipeline.genDir(state, g) + "/evaluations.avro", Evaluation.class)
        .forEach(e -> byKey.put(e.getConfigKey(), e));
    return byKey;
  }

  /** Target name -> hypervolume after generation {@code g}. */
  Map<String, Double> after(int g) {
    Map<String, Evaluation> byKey = evaluations(state, g);
    // Sorted by key: the archive and the bounds do not depend on the file's order.
    List<Evaluation> evals = new ArrayList<>(new TreeMap<>(byKey).values());
    if (loss == null) {
      loss = Hypervolume.lossRange(evals.stream().map(Evaluation::getFitness).toList());
    }
    Map<String, Double> out = new TreeMap<>();
    for (TargetBudgets t : targets) {
      List<Pareto.Point> pts = new ArrayList<>();
      if (cfg.mode() == SearchMode.NSGA2) {
        for (Scored s : evaluatedPopulation(state, g, nsga2Search(t), space, byKey)) {
          pts.add(new Pareto.Point(s.key(), s.fitness(), s.latencyMs()));
        }
      } else {
        pts.addAll(archive.getOrDefault(t.name(), List.of()));
        evals.forEach(
            e ->
                pts.add(
                    new Pareto.Point(
                        e.getConfigKey(), e.getFitness(), e.getPredictedMs().get(t.name()))));
        archive.put(t.name(), Pareto.frontier(pts));
      }
      out.put(t.name(), Hypervolume.of(pts, bounds(t.name()), cfg.hvReference()));
    }
    last.putAll(out);
    return out;
  }

  Hypervolume.Bounds bounds(String target) {
    LatencyRange r = ranges.get(target);
    return new Hypervolume.Bounds(loss[0], loss[1], r.minMs(), r.maxMs());
  }

  /** The last generation's value per target. */
  Map<String, Double> last() {
    return new TreeMap<>(last);
  }

  /**
   * What search/hypervolume.json records: the reference, the bounds, what counts, the final values.
   */
  Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", cfg.mode().specName());
    m.put("reference", List.of(cfg.hvReference().loss(), cfg.hvReference().latency()));
    m.put("loss_bounds", List.of(loss[0], loss[1]));
    m.put("loss_bounds_from", "generation 0's evaluations (lowest and highest validation loss)");
    Map<String, Object> lat = new TreeMap<>();
    ranges.forEach((t, r) -> lat.put(t, List.of(r.minMs(), r.maxMs())));
    m.put("latency_bounds_ms", lat);
    m.put(
        "latency_bounds_from",
        "each target's predicted latency range over the space (smallest, largest and "
            + SearchPipeline.LATENCY_RANGE_SAMPLES
            + " seeded random configs)");
    m.put(
        "points",
        cfg.mode() == SearchMode.NSGA2
            ? "the target's population of the generation (NSGA-II's front decides the value)"
            : "every config evaluated so far, by all searches, at the target's predicted latency");
    m.put("final", last());
    return m;
  }
}
