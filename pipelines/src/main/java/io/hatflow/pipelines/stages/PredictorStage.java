package io.hatflow.pipelines.stages;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.latency.Split;
import io.hatflow.core.run.CodeScope;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.Manifest;
import io.hatflow.core.spec.Spec;
import io.hatflow.model.predictor.FitResult;
import io.hatflow.model.predictor.Metrics;
import io.hatflow.model.predictor.PredictorFit;
import io.hatflow.model.predictor.PredictorIO;
import io.hatflow.model.predictor.PredictorMeta;
import io.hatflow.pipelines.latency.LatencyPipeline;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * predictor: per target, a latency predictor fitted on {@code latency/<target>.csv} (seeded 80/10/10 split,
 * the target's predictor model and seed), saved to {@code predictor/<target>/} with its test metrics.
 */
public final class PredictorStage implements Stage {
  public static final String NAME = "predictor";

  /** The code this stage's outputs depend on (CodeScopeTest checks it covers everything the stage reaches). */
  static final CodeScope SCOPE = LatencyStage.SCOPE.plus(new CodeScope(List.of(),
      List.of("io.hatflow.pipelines.stages.PredictorStage")));

  @Override
  public CodeScope codeScope() {
    return SCOPE;
  }

  /** Where a target's fitted predictor lives in a run directory. */
  public static Path dir(Path runDir, String target) {
    return runDir.resolve(NAME).resolve(target);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> upstream() {
    return List.of(LatencyStage.NAME);
  }

  @Override
  public String specSection(StageContext ctx) {
    StringBuilder b = new StringBuilder("space=").append(ctx.spec().model().space().name());
    for (Spec.TargetSpec t : ctx.spec().targets()) {
      b.append(";").append(t.name()).append(':').append(model(t)).append(':').append(t.predictorSeed());
    }
    return b.toString();
  }

  /** The target's predictor model, {@code default} meaning {@link PredictorFit#DEFAULT_MODEL}. */
  public static String model(Spec.TargetSpec t) {
    return t.predictorModel() == null || t.predictorModel().equals("default")
        ? PredictorFit.DEFAULT_MODEL : t.predictorModel();
  }

  @Override
  public void run(StageContext ctx) throws IOException {
    ctx.pruneOtherTargets(ctx.out(NAME));
    ObjectNode rec = ctx.record();
    ObjectNode counts = rec.putObject("counts");
    Path runDir = ctx.runDir().dir();
    for (Spec.TargetSpec t : ctx.spec().targets()) {
      Path csv = LatencyPipeline.csvPath(ctx.stageDir(LatencyStage.NAME), t.name());
      Path dir = ctx.out(NAME).resolve(t.name());
      Metrics test = fit(csv, dir, ctx.spec().model().space().name(), t.name(), model(t), t.predictorSeed());
      Manifest.addArtifact(rec, "inputs", t.name(), csv, runDir);
      Manifest.addArtifact(rec, "outputs", t.name(), dir, runDir);
      ObjectNode c = counts.putObject(t.name());
      c.put("model", model(t));
      c.put("test_n", test.n());
      c.put("test_rmse_ms", test.rmseMs());
      c.put("test_mapd_pct", test.mapdPct());
      c.put("test_within_10_pct", test.within10Pct());
      c.put("test_kendall_tau", test.kendallTau());
      ctx.log().printf("[predictor] %s (%s): test %s%n", t.name(), model(t), test.toJson());
    }
  }

  /** Fits on a seeded 80/10/10 split of {@code csv} and saves to {@code dir}; returns the test metrics. */
  public static Metrics fit(Path csv, Path dir, String space, String target, String model, long seed) {
    LatencyTable table = LatencyCsv.read(csv);
    FitResult r = PredictorFit.fit(table, Split.seeded(table.size(), seed), model, seed);
    PredictorIO.save(dir, r, new PredictorMeta(space, target, csv.toString(), Digests.sha256(csv)));
    return r.test();
  }
}
