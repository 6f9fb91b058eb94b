package io.hatflow.pipelines.stages;

import io.hatflow.core.run.Manifest;
import io.hatflow.pipelines.report.ReportWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * report: a self-contained {@code report/index.html} with PNG/SVG charts of the run (see {@link ReportWriter}).
 * It renders whatever upstream outputs exist and says what is missing.
 */
public final class ReportStage implements Stage {
  public static final String NAME = "report";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> upstream() {
    return List.of(FinalizeStage.NAME, "search", "predictor", "latency");
  }

  @Override
  public String specSection(StageContext ctx) {
    return String.valueOf(ctx.spec().report());
  }

  @Override
  public void run(StageContext ctx) {
    Path runDir = ctx.runDir().dir();
    Path index = ReportWriter.write(runDir, ctx.out(NAME), ctx.spec().report().title());
    ctx.log().println("[report] " + index);
    Manifest.addArtifact(ctx.record(), "outputs", "index_html", index, runDir);
  }
}
