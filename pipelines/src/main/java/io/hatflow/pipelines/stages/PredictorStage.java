package io.hatflow.pipelines.stages;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.latency.Split;
import io.hatflow.core.run.CodeScope;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.Manifest;
import io.hatflow.core.spec.Spec;
import io.hatflow.core.latency.LatencyRow;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.model.predictor.FitResult;
import io.hatflow.model.predictor.PredictorEval;
import io.hatflow.model.predictor.TransferFit;
import io.hatflow.model.predictor.TransferPredictor;
import io.hatflow.pipelines.io.InputFiles;
import java.util.ArrayList;
import java.util.Arrays;
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
 * the target's predictor model and seed), or by transfer from other devices' latency sets
 * ({@code latency.transfer_from}) on its few rows, saved to {@code predictor/<target>/} with its test metrics.
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
      if (t.transfer() != null) {
        // by content: the same sources elsewhere are the same inputs
        b.append(":transfer=").append(Contents.of(t.transfer()));
      }
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
      Metrics test;
      if (t.transfer() != null) {
        List<TransferFit.Source> sources = sources(ctx, t, rec);
        test = fitTransfer(csv, dir, ctx.spec().model().space().name(), t.name(), latencySpace(ctx.spec(), t),
            sources, t.transfer().rows(), t.predictorSeed());
      } else {
        test = fit(csv, dir, ctx.spec().model().space().name(), t.name(), model(t), t.predictorSeed());
      }
      Manifest.addArtifact(rec, "inputs", t.name(), csv, runDir);
      Manifest.addArtifact(rec, "outputs", t.name(), dir, runDir);
      ObjectNode c = counts.putObject(t.name());
      c.put("model", t.transfer() != null ? TransferPredictor.NAME : model(t));
      c.put("test_n", test.n());
      c.put("test_rmse_ms", test.rmseMs());
      c.put("test_mapd_pct", test.mapdPct());
      c.put("test_within_10_pct", test.within10Pct());
      c.put("test_kendall_tau", test.kendallTau());
      ctx.log().printf("[predictor] %s (%s): test %s%n", t.name(),
          t.transfer() != null ? TransferPredictor.NAME : model(t), test.toJson());
    }
  }

  /** The space a target's configs are measured in: its measure.space, else the model's space widened (HAT). */
  static SearchSpace latencySpace(Spec spec, Spec.TargetSpec t) {
    return t.latency().measured() ? LatencyPipeline.job(spec, t).space() : spec.model().space().widenedForLatency();
  }

  /** The target's transfer sources, read (local or gs://), checked against its space, and recorded as inputs. */
  private static List<TransferFit.Source> sources(StageContext ctx, Spec.TargetSpec t, ObjectNode rec) {
    List<TransferFit.Source> out = new ArrayList<>();
    SearchSpace space = latencySpace(ctx.spec(), t);
    List<String> from = t.transfer().from();
    for (int i = 0; i < from.size(); i++) {
      String src = from.get(i);
      String key = "targets." + t.name() + ".latency.transfer_from[" + i + "]";
      byte[] bytes = InputFiles.readAll(key, src, ctx.options());
      LatencyTable table = LatencyCsv.read(src, bytes);
      TransferFit.checkSpace(space, table, src + " (" + key + ")");
      String sha = Digests.sha256(bytes);
      out.add(new TransferFit.Source(src, sha, table));
      if (InputFiles.isRemote(src)) {
        Manifest.addRemoteArtifact(rec, "inputs", t.name() + ".transfer_from." + i, src, sha);
      } else {
        Manifest.addArtifact(rec, "inputs", t.name() + ".transfer_from." + i, Path.of(src), ctx.runDir().dir());
      }
    }
    return out;
  }

  /**
   * Fits by transfer on {@code rows} rows of {@code csv}: all of them when it has no more (a target measured for
   * transfer), with leave-one-out metrics standing in for test metrics; else the first {@code rows} training rows
   * of the seeded split, scored on its test rows.
   */
  public static Metrics fitTransfer(Path csv, Path dir, String space, String target, SearchSpace latencySpace,
                                    List<TransferFit.Source> sources, int rows, long seed) {
    LatencyTable table = LatencyCsv.read(csv);
    TransferFit.checkSpace(latencySpace, table, csv.toString());
    List<LatencyRow> fitRows;
    List<LatencyRow> testRows = List.of();
    if (table.size() <= rows) {
      fitRows = table.rows();
    } else {
      Split split = Split.seeded(table.size(), seed);
      fitRows = table.select(Arrays.copyOf(split.train(), Math.min(rows, split.train().length)));
      testRows = table.select(split.test());
    }
    TransferFit.Result t = TransferFit.fit(fitRows, sources);
    Metrics test = testRows.isEmpty() ? t.leaveOneOut() : PredictorEval.eval(t.predictor(), testRows);
    String selection = t.selection() + (testRows.isEmpty() ? "; no rows held out: test metrics are leave-one-out" : "");
    PredictorIO.save(dir, new FitResult(t.predictor(), t.train(), t.leaveOneOut(), test, t.fitSeconds(), seed,
        selection), new PredictorMeta(space, target, csv.toString(), Digests.sha256(csv)).withTransfer(
            new PredictorMeta.Transfer(sources.stream().map(TransferFit.Source::sha256).toList(), fitRows.size())));
    return test;
  }

  /** Fits on a seeded 80/10/10 split of {@code csv} and saves to {@code dir}; returns the test metrics. */
  public static Metrics fit(Path csv, Path dir, String space, String target, String model, long seed) {
    LatencyTable table = LatencyCsv.read(csv);
    FitResult r = PredictorFit.fit(table, Split.seeded(table.size(), seed), model, seed);
    PredictorIO.save(dir, r, new PredictorMeta(space, target, csv.toString(), Digests.sha256(csv)));
    return r.test();
  }
}
