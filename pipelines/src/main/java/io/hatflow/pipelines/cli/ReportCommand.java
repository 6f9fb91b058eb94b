package io.hatflow.pipelines.cli;

import io.hatflow.core.spec.SpecLoader;
import io.hatflow.pipelines.report.ReportWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description =
        "Render RUN_DIR/report/index.html (self-contained, charts as PNG and SVG beside it) from what the "
            + "run's stages wrote; missing outputs are listed, not fatal.")
public final class ReportCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "RUN_DIR",
      description = "A local path or hdfs://..., gs://... URI.")
  String runDirArg;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Output folder (default: RUN_DIR/report).")
  Path out;

  @Override
  public Integer call() throws Exception {
    return RunDirs.existing(
        runDirArg,
        null,
        out == null ? io.hatflow.pipelines.stages.ReportStage.NAME : null,
        (dir, uri) -> write(dir));
  }

  private int write(Path runDir) {
    String title = null;
    Path spec = runDir.resolve(io.hatflow.core.run.RunDir.SPEC_FILE);
    if (Files.exists(spec)) {
      try {
        title = SpecLoader.load(spec, List.of()).spec().report().title();
      } catch (RuntimeException e) {
        System.err.println(
            "hatflow: warning: cannot read " + spec + " for the title: " + e.getMessage());
      }
    }
    Path index =
        ReportWriter.write(
            runDir,
            out != null ? out : io.hatflow.pipelines.stages.ReportStage.Outputs.at(runDir).dir(),
            title);
    System.out.println("report: " + index);
    return 0;
  }
}
