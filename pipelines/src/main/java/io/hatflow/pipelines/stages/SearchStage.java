package io.hatflow.pipelines.stages;

import io.hatflow.core.run.Manifest;
import io.hatflow.core.search.LatencyRange;
import io.hatflow.core.search.SearchConfig;
import io.hatflow.core.search.TargetBudgets;
import io.hatflow.core.spec.Spec;
import io.hatflow.model.train.SuperTransformerCheckpoint;
import io.hatflow.pipelines.search.SearchPipeline;
import io.hatflow.pipelines.search.SearchResult;
import io.hatflow.transforms.search.InheritedFitness;
import io.hatflow.transforms.search.PredictedLatency;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * search: HAT's evolutionary search for every (target, budget) of the spec in one Beam fan-out per
 * generation, fitness = inherited-weight validation loss, latency = each target's predictor. Each finished
 * generation is a resume point; evaluations are stored under {@code search/eval-store} keyed by the
 * checkpoint digest and reused by later runs in the same directory.
 */
public final class SearchStage implements Stage {
  public static final String NAME = "search";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> upstream() {
    return List.of(PrepareStage.NAME, TrainStage.NAME, PredictorStage.NAME);
  }

  @Override
  public String specSection(StageContext ctx) {
    Spec s = ctx.spec();
    // train.max_tokens sizes the fitness batches
    StringBuilder b = new StringBuilder(s.search().toString()).append(s.model().space()).append(s.train().maxTokens());
    for (Spec.TargetSpec t : s.targets()) {
      b.append(t.name()).append(t.budgetsMs()).append(t.budgetsPct());
    }
    return b.toString();
  }

  /**
   * Places relative budgets in the target's predicted latency range (smallest and largest configs plus a
   * seeded sample), rounded to 0.01 ms so the search's budgets read like hand-written ones.
   */
  static List<Double> resolve(Spec spec, Spec.TargetSpec t, PredictedLatency latency) {
    LatencyRange r = LatencyRange.estimate(spec.model().space(), latency.open(), spec.seed(), 2000);
    List<Double> out = new ArrayList<>();
    for (double pct : t.budgetsPct()) {
      out.add(Math.round((r.minMs() + pct / 100.0 * (r.maxMs() - r.minMs())) * 100) / 100.0);
    }
    return out;
  }

  public static SearchConfig config(Spec spec) {
    Spec.SearchSpec s = spec.search();
    return new SearchConfig(s.population(), s.parents(), s.mutations(), s.crossovers(), s.mutationProb(),
        s.generations(), spec.seed(), Math.pow(10, -s.fitnessDecimals()), s.maxSampleTries());
  }

  @Override
  public void run(StageContext ctx) {
    Spec spec = ctx.spec();
    Path runDir = ctx.runDir().dir();
    if (spec.targets().isEmpty()) {
      throw new IllegalArgumentException("targets: the search needs at least one hardware target with budgets_ms");
    }
    Path checkpoint = TrainStage.checkpoint(runDir);
    Path prepared = ctx.stageDir(PrepareStage.NAME);
    String digest;
    try (SuperTransformerCheckpoint ck = SuperTransformerCheckpoint.load(checkpoint)) {
      ck.requireCompatible(spec.model().space(), TrainStage.vocabSize(prepared));
      digest = ck.digest();
    }
    List<TargetBudgets> targets = new ArrayList<>();
    for (Spec.TargetSpec t : spec.targets()) {
      Path pred = PredictorStage.dir(runDir, t.name());
      if (!Files.isDirectory(pred)) {
        throw new IllegalArgumentException("target " + t.name() + ": no latency predictor at " + pred
            + " (run the predictor stage first)");
      }
      PredictedLatency latency = new PredictedLatency(pred.toString(), spec.model().space().name());
      List<Double> budgets = t.relativeBudgets() ? resolve(spec, t, latency) : t.budgetsMs();
      if (t.relativeBudgets()) {
        ctx.log().printf("[search] %s: budgets %s%% of the predicted range -> %s ms%n", t.name(), t.budgetsPct(),
            budgets.stream().map(x -> String.format(java.util.Locale.ROOT, "%.2f", x)).toList());
      }
      ctx.record().with("budgets_ms").putPOJO(t.name(), budgets);
      targets.add(new TargetBudgets(t.name(), latency, budgets));
    }
    InheritedFitness fitness = new InheritedFitness(checkpoint.toString(), prepared.toString(),
        spec.search().validSubset(), spec.train().maxTokens(), spec.search().threads());
    Path out = ctx.out(NAME);
    if (!ctx.resume()) {
      // A fresh (not resumed) search breeds again from generation 0; evaluated fitness stays in the store.
      io.hatflow.core.run.AtomicFiles.deleteTree(out.resolve("state"));
    }
    SearchResult r = SearchPipeline.run(config(spec), spec.model().space(), targets, fitness, digest, out,
        out.resolve("eval-store"), ctx.options(), g -> ctx.log().println("[search] " + g.line()));
    for (String w : r.warnings()) {
      ctx.log().println("[search] warning: " + w);
    }
    ctx.record().putObject("counts").put("candidates", r.candidates()).put("distinct_configs", r.distinctConfigs())
        .put("fitness_evaluations", r.fitnessEvaluations()).put("winners", r.winners().size())
        .put("warnings", r.warnings().size()).put("checkpoint_digest", digest);
    for (String f : List.of("winners.json", "winners.avro", "winners", "pareto.json", "pareto.avro",
        "history.json", "history.avro")) {
      if (Files.exists(out.resolve(f))) {
        Manifest.addArtifact(ctx.record(), "outputs", f, out.resolve(f), runDir);
      }
    }
  }
}
