package io.hatflow.pipelines.stages;

import io.hatflow.pipelines.report.ReportWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * report: a self-contained {@code report/index.html} with PNG/SVG charts of the run (see {@link
 * ReportWriter}). It renders whatever upstream outputs exist and says what is missing.
 */
public final class ReportStage implements Stage {
  public static final String NAME = "report";

  /** report's output: the page (charts beside it). */
  public record Outputs(Path dir) {
    /** In a run directory's local copy ({@link io.hatflow.core.run.RunDir#dir()}). */
    public static Outputs at(Path runDir) {
      return new Outputs(runDir.resolve(NAME));
    }

    public Path index() {
      return dir.resolve(ReportWriter.INDEX);
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> upstream() {
    return List.of(FinalizeStage.NAME, SearchStage.NAME, PredictorStage.NAME, LatencyStage.NAME);
  }

  @Override
  public String specSection(StageContext ctx) {
    return String.valueOf(ctx.spec().report());
  }

  @Override
  public void run(StageContext ctx) {
    Path runDir = ctx.runDir().dir();
    Path index = ReportWriter.write(runDir, Outputs.at(runDir).dir(), ctx.spec().report().title());
    ctx.log().println("[report] " + index);
    ctx.record().output("index_html", index);
  }
}
