package io.hatflow.pipelines.stages;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.latency.LatencyRow;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.latency.Split;
import io.hatflow.core.run.Artifact;
import io.hatflow.core.run.CodeScope;
import io.hatflow.core.run.Digests;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.spec.Spec;
import io.hatflow.model.predictor.FitResult;
import io.hatflow.model.predictor.Metrics;
import io.hatflow.model.predictor.PredictorEval;
import io.hatflow.model.predictor.PredictorFit;
import io.hatflow.model.predictor.PredictorIO;
import io.hatflow.model.predictor.PredictorMeta;
import io.hatflow.model.predictor.TransferFit;
import io.hatflow.model.predictor.TransferPredictor;
import io.hatflow.pipelines.io.InputFiles;
import io.hatflow.pipelines.latency.LatencyPipeline;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * predictor: per target, a latency predictor fitted on {@code latency/<target>.csv} (seeded
 * 80/10/10 split, the target's predictor model and seed), or by transfer from other devices'
 * latency sets ({@code latency.transfer_from}) on its few rows, saved to {@code
 * predictor/<target>/} with its test metrics.
 */
public final class PredictorStage implements Stage {
  public static final String NAME = "predictor";

  /**
   * The code this stage's outputs depend on (CodeScopeTest checks it covers everything the stage
   * reaches).
   */
  static final CodeScope SCOPE =
      LatencyStage.SCOPE.plus(
          new CodeScope(List.of(), List.of("io.hatflow.pipelines.stages.PredictorStage")));

  @Override
  public CodeScope codeScope() {
    return SCOPE;
  }

  /**
   * predictor's outputs: per target a fitted predictor folder ({@link PredictorIO}) with its test
   * metrics.
   */
  public record Outputs(Path dir) {
    /** In a run directory's local copy ({@link io.hatflow.core.run.RunDir#dir()}). */
    public static Outputs at(Path runDir) {
      return new Outputs(runDir.resolve(NAME));
    }

    public static Outputs in(io.hatflow.core.run.RunDir rd) {
      return at(rd.dir());
    }

    /** A target's predictor folder. */
    public Path predictor(String target) {
      return dir.resolve(target);
    }

    /** The targets with a predictor folder, sorted. */
    public List<String> targets() {
      if (!java.nio.file.Files.isDirectory(dir)) {
        return List.of();
      }
      try (java.util.stream.Stream<Path> s = java.nio.file.Files.list(dir)) {
        return s.filter(java.nio.file.Files::isDirectory)
            .map(p -> p.getFileName().toString())
            .filter(n -> !n.startsWith("."))
            .sorted()
            .toList();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot list " + dir, e);
      }
    }
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
      b.append(";")
          .append(t.name())
          .append(':')
          .append(model(t))
          .append(':')
          .append(t.predictorSeed());
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
        ? PredictorFit.DEFAULT_MODEL
        : t.predictorModel();
  }

  @Override
  public void run(StageContext ctx) throws IOException {
    Outputs outputs = Outputs.in(ctx.runDir());
    ctx.pruneOtherTargets(outputs.dir());
    StageRecorder rec = ctx.record();
    ObjectNode counts = rec.counts();
    LatencyStage.Outputs latency = LatencyStage.Outputs.in(ctx.runDir());
    for (Spec.TargetSpec t : ctx.spec().targets()) {
      Path csv = latency.csv(t.name());
      Path dir = outputs.predictor(t.name());
      Metrics test;
      if (t.transfer() != null) {
        List<TransferFit.Source> sources = sources(ctx, t, rec);
        test =
            fitTransfer(
                csv,
                dir,
                ctx.spec().model().space().name(),
                t.name(),
                latencySpace(ctx.spec(), t),
                sources,
                t.transfer().rows(),
                t.predictorSeed());
      } else {
        test =
            fit(csv, dir, ctx.spec().model().space().name(), t.name(), model(t), t.predictorSeed());
      }
      rec.input(t.name(), csv);
      rec.output(t.name(), dir);
      ObjectNode c = counts.putObject(t.name());
      c.put("model", t.transfer() != null ? TransferPredictor.NAME : model(t));
      c.put("test_n", test.n());
      c.put("test_rmse_ms", test.rmseMs());
      c.put("test_mapd_pct", test.mapdPct());
      c.put("test_within_10_pct", test.within10Pct());
      c.put("test_kendall_tau", test.kendallTau());
      ctx.log()
          .printf(
              "[predictor] %s (%s): test %s%n",
              t.name(), t.transfer() != null ? TransferPredictor.NAME : model(t), test.toJson());
    }
  }

  /**
   * The space a target's configs are measured in: its measure.space, else the model's space widened
   * (HAT).
   */
  static SearchSpace latencySpace(Spec spec, Spec.TargetSpec t) {
    return t.latency().measured()
        ? LatencyPipeline.job(spec, t).space()
        : spec.model().space().widenedForLatency();
  }

  /**
   * The target's transfer sources, read (local or gs://), checked against its space, and recorded
   * as inputs.
   */
  private static List<TransferFit.Source> sources(
      StageContext ctx, Spec.TargetSpec t, StageRecorder rec) {
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
        rec.input(t.name() + ".transfer_from." + i, Artifact.remote(src, sha));
      } else {
        rec.input(t.name() + ".transfer_from." + i, Path.of(src));
      }
    }
    return out;
  }

  /**
   * Fits by transfer on {@code rows} rows of {@code csv}: all of them when it has no more (a target
   * measured for transfer), with leave-one-out metrics standing in for test metrics; else the first
   * {@code rows} training rows of the seeded split, scored on its test rows.
   */
  public static Metrics fitTransfer(
      Path csv,
      Path dir,
      String space,
      String target,
      SearchSpace latencySpace,
      List<TransferFit.Source> sources,
      int rows,
      long seed) {
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
    Metrics test =
        testRows.isEmpty() ? t.leaveOneOut() : PredictorEval.eval(t.predictor(), testRows);
    String selection =
        t.selection()
            + (testRows.isEmpty() ? "; no rows held out: test metrics are leave-one-out" : "");
    PredictorIO.save(
        dir,
        new FitResult(
            t.predictor(), t.train(), t.leaveOneOut(), test, t.fitSeconds(), seed, selection),
        new PredictorMeta(space, target, csv.toString(), Digests.sha256(csv))
            .withTransfer(
                new PredictorMeta.Transfer(
                    sources.stream().map(TransferFit.Source::sha256).toList(), fitRows.size())));
    return test;
  }

  /**
   * Fits on a seeded 80/10/10 split of {@code csv} and saves to {@code dir}; returns the test
   * metrics.
   */
  public static Metrics fit(
      Path csv, Path dir, String space, String target, String model, long seed) {
    LatencyTable table = LatencyCsv.read(csv);
    FitResult r = PredictorFit.fit(table, Split.seeded(table.size(), seed), model, seed);
    PredictorIO.save(dir, r, new PredictorMeta(space, target, csv.toString(), Digests.sha256(csv)));
    return r.test();
  }
}
