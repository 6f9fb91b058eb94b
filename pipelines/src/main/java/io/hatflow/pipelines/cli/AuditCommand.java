package io.hatflow.pipelines.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.hatflow.core.run.AtomicFiles;
import io.hatflow.core.run.Audit;
import io.hatflow.core.run.Manifest;
import io.hatflow.core.run.RunDir;
import io.hatflow.core.run.RunManifest;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.spec.FrozenSpec;
import io.hatflow.core.spec.SpecLoader;
import io.hatflow.core.spec.SpecOverride;
import io.hatflow.pipelines.stages.LatencyStage;
import io.hatflow.pipelines.stages.PredictorStage;
import io.hatflow.pipelines.stages.PrepareStage;
import io.hatflow.pipelines.stages.SearchStage;
import io.hatflow.pipelines.stages.StageRunner;
import io.hatflow.pipelines.stages.TrainStage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.options.PipelineOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description =
        "Check every digest a run recorded (spec, inputs, outputs) and compare its code digest "
            + "(SHA-256 of the compiled hatflow classes, what stage caching uses; git describe is shown beside it) "
            + "with the running code's; exit 1 naming each artifact that does not match (a code difference is a "
            + "note). --rerun search re-runs the search from the recorded inputs in a scratch directory and "
            + "compares the winners byte for byte.")
public final class AuditCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "RUN_DIR",
      description = "A local path or hdfs://..., gs://... URI.")
  String runDirArg;

  private Path runDir;

  @Option(
      names = "--rerun",
      paramLabel = "STAGE",
      description = "Re-run this stage from the recorded inputs (supported: search).")
  String rerun;

  @Option(names = "--json", description = "Print one JSON object as the last line.")
  boolean json;

  @Unmatched List<String> beamArgs = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (rerun != null && !rerun.equals(SearchStage.NAME)) {
      throw new UserInputException("--rerun " + rerun + ": only 'search' can be re-run by audit");
    }
    return RunDirs.existing(
        runDirArg,
        BeamArgs.parse(beamArgs),
        null,
        (dir, uri) -> {
          runDir = dir;
          return audit();
        });
  }

  /**
   * The running code's digest over a stage's scope (the whole code for a name that is not a stage).
   */
  static String stageCode(String stage) {
    return io.hatflow.pipelines.stages.Stages.names().contains(stage)
        ? io.hatflow.pipelines.stages.StageRunner.codeDigest(
            io.hatflow.pipelines.stages.Stages.named(stage))
        : io.hatflow.core.run.CodeDigest.current();
  }

  private int audit() throws Exception {
    // Each stage's recorded code digest covers its code scope only: compare like with like.
    Audit.Result r = Audit.check(runDir, AuditCommand::stageCode, SearchStage.Outputs.owned());
    for (Audit.Finding f : r.findings()) {
      System.out.println(f.line());
    }
    for (String n : r.notes()) {
      System.out.println("note      " + n);
    }
    System.out.println(r.codeLine());
    JsonNode hv = hypervolume();
    boolean ok = r.ok();
    Boolean rerunSame = null;
    if (rerun != null) {
      rerunSame = rerunSearch();
      ok &= rerunSame;
    }
    System.out.println(
        r.ok()
            ? "audit passed: " + r.findings().size() + " artifacts match"
            : "audit FAILED: "
                + r.mismatches()
                + " of "
                + r.findings().size()
                + " checks do not hold");
    if (json) {
      var o = r.toJson();
      o.put("ok", ok);
      if (rerunSame != null) {
        o.put("rerun_search_identical", rerunSame);
      }
      if (hv != null) {
        o.set("search_hypervolume", hv.path("final"));
      }
      System.out.println(o.toString());
    }
    return ok ? 0 : 1;
  }

  /**
   * Prints the search's final hypervolume per target (information, not a check); null without one.
   */
  private JsonNode hypervolume() throws IOException {
    Path f = SearchStage.Outputs.at(runDir).hypervolumeJson();
    if (!Files.exists(f)) {
      return null;
    }
    JsonNode hv = new com.fasterxml.jackson.databind.ObjectMapper().readTree(f.toFile());
    StringBuilder b =
        new StringBuilder(
            "info      search hypervolume (mode "
                + hv.path("mode").asText()
                + ", reference "
                + hv.path("reference")
                + ", "
                + runDir.relativize(f)
                + "):");
    hv.path("final")
        .fields()
        .forEachRemaining(
            e ->
                b.append(
                    String.format(
                        java.util.Locale.ROOT, " %s=%.4f", e.getKey(), e.getValue().asDouble())));
    System.out.println(b);
    return hv;
  }

  /**
   * Re-runs the search in a scratch copy of the run's inputs (no evaluation store) and compares
   * winners.
   */
  private boolean rerunSearch() throws Exception {
    Path winners = SearchStage.Outputs.at(runDir).winnersJson();
    if (!Files.exists(winners)) {
      throw new UserInputException(
          runDir
              + ": no "
              + runDir.relativize(winners)
              + " to compare with (the search has not finished)");
    }
    RunManifest m = Manifest.load(runDir).value();
    List<String> sets = new ArrayList<>();
    for (RunManifest.Override o :
        m.overrides() == null ? List.<RunManifest.Override>of() : m.overrides()) {
      sets.add(o.key() + "=" + o.value());
    }
    Path scratch = Files.createTempDirectory("hatflow-audit-");
    try {
      Files.copy(runDir.resolve(RunDir.SPEC_FILE), scratch.resolve(RunDir.SPEC_FILE));
      for (String stage :
          List.of(PrepareStage.NAME, TrainStage.NAME, LatencyStage.NAME, PredictorStage.NAME)) {
        AtomicFiles.copyTree(runDir.resolve(stage), scratch.resolve(stage));
      }
      Files.copy(runDir.resolve(Manifest.FILE), scratch.resolve(Manifest.FILE));
      FrozenSpec spec =
          SpecLoader.parse(
              RunDir.SPEC_FILE,
              Files.readAllBytes(scratch.resolve(RunDir.SPEC_FILE)),
              runDir.toAbsolutePath().getParent(),
              sets.stream().map(SpecOverride::parse).toList());
      PipelineOptions options = BeamArgs.parse(beamArgs);
      try (RunDir rd = RunDir.open(scratch, spec, true)) {
        new StageRunner(spec, rd, options, System.out).run(new SearchStage(), true, false);
      }
      boolean same =
          Arrays.equals(
              Files.readAllBytes(winners),
              Files.readAllBytes(SearchStage.Outputs.at(scratch).winnersJson()));
      System.out.println(
          (same ? "ok        " : "MISMATCH  ")
              + "search re-run from recorded inputs: winners "
              + (same ? "identical byte for byte" : "differ from " + runDir.relativize(winners)));
      return same;
    } finally {
      AtomicFiles.deleteTree(scratch);
    }
  }
}
