package io.hatflow.pipelines.cli;

import io.hatflow.core.run.CodeVersion;
import io.hatflow.core.run.RunDir;
import io.hatflow.core.spec.FrozenSpec;
import io.hatflow.core.spec.SpecLoader;
import io.hatflow.pipelines.rundir.RunLocation;
import io.hatflow.pipelines.stages.Stage;
import io.hatflow.pipelines.stages.StageRunner;
import io.hatflow.pipelines.stages.Stages;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.options.PipelineOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description =
        "Run every stage of a spec in order into one run directory, skipping stages whose "
            + "fingerprint matches a finished output, and resuming an interrupted one.")
public final class RunCommand implements Callable<Integer> {
  @Mixin RunArgs args;

  /** Beam's own options, e.g. --runner=FlinkRunner --flinkMaster=[local] --parallelism=2. */
  @picocli.CommandLine.Unmatched List<String> beamArgs = new java.util.ArrayList<>();

  @Option(
      names = "--from",
      paramLabel = "STAGE",
      description = "Start at this stage (earlier ones must be finished).")
  String from;

  @Option(names = "--only", paramLabel = "STAGE", description = "Run this stage only.")
  String only;

  @Option(
      names = "--force",
      paramLabel = "STAGE",
      description =
          "Run this stage even if cached (repeatable; 'all' forces every stage and replaces a run of another spec).")
  List<String> force = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    for (String f : force) {
      if (!f.equals("all")) {
        Stages.named(f);
      }
    }
    List<Stage> stages = Stages.select(from, only);
    FrozenSpec spec = SpecLoader.load(args.spec, args.sets);
    PipelineOptions options = BeamArgs.parse(beamArgs);
    return runStages(
        spec,
        args.runDirOr(spec.spec().name()),
        options,
        beamArgs,
        stages,
        force,
        force.contains("all"));
  }

  static int runStages(
      FrozenSpec spec,
      String dir,
      PipelineOptions options,
      List<String> beamArgs,
      List<Stage> stages,
      List<String> force,
      boolean replaceOtherSpec)
      throws Exception {
    RunLocation loc = RunLocation.of(dir, options);
    try (RunDir rd = RunDir.open(loc.work(), loc.home(), spec, replaceOtherSpec)) {
      rd.manifest()
          .recordSpec(
              spec,
              CodeVersion.get(),
              options.getRunner().getSimpleName(),
              BeamArgs.recorded(beamArgs, options));
      rd.manifest().finished(false);
      rd.manifest().save();
      long t0 = System.currentTimeMillis();
      new StageRunner(spec, rd, options, System.out).runAll(stages, force, false);
      rd.manifest().finished(true);
      rd.manifest().save();
      System.out.printf(
          "run finished in %.1f s: %s%n",
          (System.currentTimeMillis() - t0) / 1000.0, rd.location());
    }
    return 0;
  }
}
