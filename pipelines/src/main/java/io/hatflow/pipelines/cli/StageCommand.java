package io.hatflow.pipelines.cli;

import io.hatflow.core.run.CodeVersion;
import io.hatflow.core.run.RunDir;
import io.hatflow.core.spec.FrozenSpec;
import io.hatflow.core.spec.SpecLoader;
import io.hatflow.pipelines.rundir.RunLocation;
import io.hatflow.pipelines.stages.Stage;
import io.hatflow.pipelines.stages.StageRunner;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.options.PipelineOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A command that runs one stage of a spec into a run directory (prepare, train, search, ...). */
abstract class StageCommand implements Callable<Integer> {
  @Mixin RunArgs args;

  /** Beam's own options, e.g. --runner=FlinkRunner --flinkMaster=[local] --parallelism=2. */
  @picocli.CommandLine.Unmatched List<String> beamArgs = new java.util.ArrayList<>();

  @Option(
      names = "--force",
      description =
          "Run even if a finished output with the same fingerprint exists, "
              + "and replace a run directory that holds a run of a different spec.")
  boolean force;

  @Option(
      names = "--resume",
      description =
          "Continue a killed or failed stage's work (checkpoint, finished "
              + "generations) even though its settings changed since, e.g. more train.steps. Without it, a re-run of the "
              + "same command already resumes; with changed settings it starts over.")
  boolean resume;

  abstract Stage stage();

  @Override
  public Integer call() throws Exception {
    FrozenSpec spec = SpecLoader.load(args.spec, args.sets);
    PipelineOptions options = BeamArgs.parse(beamArgs);
    RunLocation loc = RunLocation.of(args.runDirOr(spec.spec().name()), options);
    try (RunDir rd = RunDir.open(loc.work(), loc.home(), spec, force)) {
      rd.manifest()
          .recordSpec(
              spec,
              CodeVersion.get(),
              options.getRunner().getSimpleName(),
              BeamArgs.recorded(beamArgs, options));
      rd.manifest().save();
      new StageRunner(spec, rd, options, System.out)
          .runAll(List.of(stage()), force ? List.of("all") : List.of(), resume);
      System.out.println("run directory: " + rd.location());
    }
    return 0;
  }
}
