package io.hatflow.pipelines.stages;

import io.hatflow.core.run.Manifest;
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
    StringBuilder b = new StringBuilder(s.search().toString()).append(s.model().space());
    for (Spec.TargetSpec t : s.targets()) {
      b.append(t.name()).append(t.budgetsMs());
    }
    return b.toString();
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
      targets.add(new TargetBudgets(t.name(), new PredictedLatency(pred.toString(), spec.model().space().name()),
          t.budgetsMs()));
    }
    InheritedFitness fitness = new InheritedFitness(checkpoint.toString(), prepared.toString(),
        spec.search().validSubset(), spec.train().maxTokens(), spec.search().threads());
    Path out = ctx.out(NAME);
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
