package io.hatflow.pipelines.search;

import io.hatflow.schemas.GenerationStats;
import io.hatflow.schemas.ParetoPoint;
import io.hatflow.schemas.Winner;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a search produced (also on disk under {@code outDir}).
 *
 * @param winners one per (target, budget) that found a feasible config, sorted by target then
 *     budget
 * @param pareto per target: the frontier of (fitness, predicted latency) over every evaluated
 *     config
 * @param history per generation and search, sorted
 * @param generations a report per generation (read back for resumed ones)
 * @param candidates candidates over all generations and searches (HAT evaluates each: its cost)
 * @param perSearchDistinct sum over searches of their distinct configs (separate searches, each
 *     with its own cache)
 * @param distinctConfigs distinct configs over everything (one shared fan-out and store)
 * @param fitnessEvaluations fitness evaluations this run actually computed (store misses)
 * @param warnings e.g. populations that constrained sampling could not fill
 * @param hypervolume per target, the hypervolume after the last generation
 *     (search/hypervolume.json)
 */
public record SearchResult(
    List<Winner> winners,
    Map<String, List<ParetoPoint>> pareto,
    List<GenerationStats> history,
    List<GenerationReport> generations,
    long candidates,
    long perSearchDistinct,
    long distinctConfigs,
    long fitnessEvaluations,
    List<String> warnings,
    Path outDir,
    Map<String, Double> hypervolume) {}
