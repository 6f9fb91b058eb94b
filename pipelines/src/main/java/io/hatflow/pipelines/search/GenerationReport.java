package io.hatflow.pipelines.search;

import java.util.Locale;
import java.util.Map;

/**
 * One finished generation, all searches together.
 *
 * @param candidates population members of all searches
 * @param distinct distinct configs (canonical key) among them: what the fan-out looked at
 * @param evaluations fitness evaluations run (distinct configs not found in the evaluation store)
 * @param cacheHits distinct configs whose fitness came from the store
 * @param best best (lowest) fitness per search name ({@code <target>-<budget>ms}), sorted
 * @param resumed true when this generation was finished by an earlier run and only read back
 * @param hypervolume per target name, sorted: the hypervolume after this generation
 *     (search/hypervolume.json)
 */
public record GenerationReport(
    int generation,
    int generations,
    int candidates,
    int distinct,
    int evaluations,
    int cacheHits,
    Map<String, Double> best,
    long wallMs,
    long etaMs,
    boolean resumed,
    Map<String, Double> hypervolume) {

  public String line() {
    StringBuilder b =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "search gen %d/%d: %d candidates, %d distinct, %d evaluated, %d cache hits, %.1fs%s, ETA %.0fs; best",
                generation + 1,
                generations,
                candidates,
                distinct,
                evaluations,
                cacheHits,
                wallMs / 1000.0,
                resumed ? " (resumed)" : "",
                etaMs / 1000.0));
    best.forEach((k, v) -> b.append(String.format(Locale.ROOT, " %s=%.4f", k, v)));
    b.append("; hypervolume");
    hypervolume.forEach((k, v) -> b.append(String.format(Locale.ROOT, " %s=%.4f", k, v)));
    return b.toString();
  }
}
