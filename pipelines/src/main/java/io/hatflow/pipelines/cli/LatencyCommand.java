package io.hatflow.pipelines.cli;

import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.latency.LatencyRow;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.Features;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.spec.FrozenSpec;
import io.hatflow.core.spec.Spec;
import io.hatflow.core.spec.SpecLoader;
import io.hatflow.model.predictor.Metrics;
import io.hatflow.model.predictor.PredictorEval;
import io.hatflow.model.predictor.PredictorIO;
import io.hatflow.pipelines.io.InputFiles;
import io.hatflow.pipelines.latency.LatencyPipeline;
import io.hatflow.pipelines.stages.LatencyStage;
import io.hatflow.schemas.LatencyRecord;
import io.hatflow.transforms.latency.LatencyRecords;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.options.PipelineOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hatflow latency measure|import|validate}: latency datasets of one hardware target. */
@Command(
    name = "latency",
    mixinStandardHelpOptions = true,
    description = "Measure, import or validate a hardware target's latency dataset (HAT's CSV).",
    subcommands = {
      LatencyCommand.Measure.class,
      LatencyCommand.Import.class,
      LatencyCommand.Validate.class
    })
public final class LatencyCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec self;

  @Override
  public Integer call() {
    throw new picocli.CommandLine.ParameterException(
        self.commandLine(), "give a subcommand: measure, import or validate");
  }

  static void checkName(String target) {
    if (!io.hatflow.core.spec.Names.valid(target)) {
      throw new UserInputException("--target: " + io.hatflow.core.spec.Names.problem(target));
    }
  }

  @Command(
      name = "measure",
      mixinStandardHelpOptions = true,
      description =
          "Time the spec target's configs here by HAT's protocol into <run-dir>/latency/<target>.csv "
              + "(+ .avro); rows already measured in the same environment are kept.")
  static final class Measure implements Callable<Integer> {
    @Mixin RunArgs args;

    /** Beam's own options, e.g. --runner=FlinkRunner --flinkMaster=[local] --parallelism=2. */
    @picocli.CommandLine.Unmatched List<String> beamArgs = new java.util.ArrayList<>();

    @Option(
        names = "--target",
        required = true,
        paramLabel = "NAME",
        description = "A spec target with latency.measure.")
    String target;

    @Override
    public Integer call() throws Exception {
      FrozenSpec fs = SpecLoader.load(args.spec, args.sets);
      Spec.TargetSpec t = LatencyStage.target(fs.spec(), target);
      PipelineOptions options = BeamArgs.parse(beamArgs);
      return RunDirs.any(
          args.runDirOr(fs.spec().name()),
          options,
          LatencyStage.NAME,
          (dir, uri) -> {
            LatencyPipeline.Result r =
                LatencyPipeline.run(
                    LatencyPipeline.job(fs.spec(), t),
                    LatencyStage.Outputs.at(dir).dir(),
                    uri + "/" + LatencyStage.NAME,
                    options,
                    System.out);
            System.out.printf(
                Locale.ROOT,
                "%s: %d rows (%d measured now, %d kept), %.3f s per measured config%n",
                r.csv(),
                r.rows(),
                r.measured(),
                r.reused(),
                r.secondsPerConfig());
            return 0;
          });
    }
  }

  @Command(
      name = "import",
      mixinStandardHelpOptions = true,
      description =
          "Validate a HAT latency CSV; with --run-dir, copy it to <run-dir>/latency/<target>.csv.")
  static final class Import implements Callable<Integer> {
    @Option(
        names = "--csv",
        required = true,
        paramLabel = "FILE",
        description = "A local path or gs:// URI.")
    String csv;

    @Option(names = "--target", required = true, paramLabel = "NAME")
    String target;

    @Option(
        names = "--run-dir",
        paramLabel = "DIR|URI",
        description = "A local path or hdfs://..., gs://... URI.")
    String runDir;

    @Override
    public Integer call() throws Exception {
      checkName(target);
      if (runDir == null) {
        LatencyTable t = LatencyCsv.read(csv, InputFiles.readAll("--csv", csv, null));
        System.out.println(csv + ": valid HAT latency dataset, " + t.size() + " rows");
        return 0;
      }
      return RunDirs.any(
          runDir,
          null,
          LatencyStage.NAME,
          (dir, uri) -> {
            Path dst = LatencyStage.Outputs.at(dir).csv(target);
            LatencyTable t = LatencyStage.importCsv("--csv", csv, dst, null).table();
            System.out.println(dst + ": " + t.size() + " rows imported from " + csv);
            return 0;
          });
    }
  }

  @Command(
      name = "validate",
      mixinStandardHelpOptions = true,
      description = {
        "Without --predictor: the measurement noise of a run's latency rows (median trimmed std/mean "
            + "per target, runs used, CI, affinity, governor, load) and each finalized winner's measured vs predicted "
            + "latency; nothing is timed.",
        "With --predictor: measure K fresh configs (not in the predictor's training data) and compare predicted "
            + "with measured latency: RMSE, MAPD, within 10%."
      })
  static final class Validate implements Callable<Integer> {
    @Option(
        names = "--spec",
        paramLabel = "FILE",
        converter = LocalPath.Spec.class,
        description = "Versioned run spec (with --predictor).")
    Path spec;

    @Option(
        names = "--run-dir",
        paramLabel = "DIR",
        description =
            "A local run directory: its latency/*.avro " + "(or *.csv) and finalize/results.json.")
    String runDir;

    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description = "Override one spec value (repeatable).")
    List<String> sets = new ArrayList<>();

    /** Beam's own options, e.g. --runner=FlinkRunner --flinkMaster=[local] --parallelism=2. */
    @picocli.CommandLine.Unmatched List<String> beamArgs = new java.util.ArrayList<>();

    @Option(
        names = "--target",
        paramLabel = "NAME",
        description = "Only this target (required with --predictor).")
    String target;

    @Option(names = "--predictor", paramLabel = "DIR")
    Path predictor;

    @Option(
        names = "--latency",
        split = ",",
        paramLabel = "FILE",
        description =
            "Latency files (.avro of the latency stage, or HAT CSV) instead of the run's.")
    List<Path> latency = new ArrayList<>();

    @Option(
        names = "--finalize",
        paramLabel = "FILE",
        description = "A finalize results.json instead of the run's.")
    Path finalizeResults;

    @Option(
        names = "--samples",
        defaultValue = "20",
        paramLabel = "K",
        description = "Fresh configs to time (default ${DEFAULT-VALUE}).")
    int samples;

    @Option(
        names = "--json",
        description = "Print the metrics as one JSON object on the last line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      return predictor == null ? noise() : fresh();
    }

    /** The noise report: no timing, files only. */
    private Integer noise() {
      List<Path> files = new ArrayList<>(latency);
      Path results = finalizeResults;
      if (runDir != null) {
        Path dir = Path.of(runDir);
        Path lat = LatencyStage.Outputs.at(dir).dir();
        if (files.isEmpty()) {
          if (!Files.isDirectory(lat)) {
            throw new UserInputException(
                "--run-dir: no latency folder at " + lat + " (run the latency stage first)");
          }
          files.addAll(LatencyStage.Outputs.at(dir).fullestRecords(target));
          if (files.isEmpty()) {
            throw new UserInputException(
                "--run-dir: no latency files "
                    + (target == null ? "" : "of " + target + " ")
                    + "in "
                    + lat);
          }
        }
        if (results == null) {
          Path r = io.hatflow.pipelines.stages.FinalizeStage.Outputs.at(dir).resultsJson();
          results = Files.isRegularFile(r) ? r : null;
          if (results == null) {
            System.out.println(
                "no finalize results at " + r + " (run finalize for measured vs predicted)");
          }
        }
      } else if (files.isEmpty()) {
        throw new UserInputException("give --run-dir, --latency FILE[,FILE...] or --predictor");
      }
      for (Path f : files) {
        System.out.println(io.hatflow.pipelines.latency.NoiseReport.latency(f));
      }
      if (results != null) {
        if (!Files.isRegularFile(results)) {
          throw new UserInputException("--finalize: no such file: " + results);
        }
        System.out.println(io.hatflow.pipelines.latency.NoiseReport.finalized(results));
      }
      return 0;
    }

    private Integer fresh() throws Exception {
      if (spec == null || target == null) {
        throw new UserInputException("--predictor needs --spec and --target");
      }
      RunArgs args = new RunArgs();
      args.spec = spec;
      args.runDir = runDir;
      args.sets = sets;
      if (samples < 2) {
        throw new UserInputException("--samples must be at least 2, got " + samples);
      }
      FrozenSpec fs = SpecLoader.load(args.spec, args.sets);
      Spec.TargetSpec t = LatencyStage.target(fs.spec(), target);
      PipelineOptions options = BeamArgs.parse(beamArgs);
      PredictorIO.Loaded p = PredictorIO.load(predictor);
      LatencyPipeline.Job job = LatencyPipeline.job(fs.spec(), t);
      // configs of the training data: by features (any HAT CSV) and by key (our Avro beside it)
      Set<List<Double>> seenFeatures = new HashSet<>();
      Set<String> seenKeys = new HashSet<>();
      Path data = Path.of(p.meta().dataset());
      if (!p.meta().dataset().isBlank() && Files.isRegularFile(data)) {
        for (LatencyRow r : LatencyCsv.read(data).rows()) {
          seenFeatures.add(boxed(r.features()));
        }
        Path avro =
            data.resolveSibling(data.getFileName().toString().replaceFirst("\\.csv$", ".avro"));
        if (Files.isRegularFile(avro)) {
          seenKeys.addAll(LatencyPipeline.keys(LatencyPipeline.readAvro(avro)));
        }
      }
      List<SubConfig> fresh = new ArrayList<>();
      long seed = LatencyRecords.seedOf(fs.spec().seed(), target + "/validate");
      for (SubConfig c :
          LatencyRecords.sample(job.space(), samples * 4 + seenKeys.size(), seed, seenKeys)) {
        if (fresh.size() < samples && !seenFeatures.contains(boxed(Features.of(c)))) {
          fresh.add(c);
        }
      }
      if (fresh.size() < 2) {
        throw new UserInputException(
            "the latency space has no configs left outside the training data");
      }
      Path work = Files.createTempDirectory("hatflow-validate-");
      List<LatencyRecord> measured;
      try {
        measured = LatencyPipeline.measure(fresh, job.settings(), work, options);
      } finally {
        io.hatflow.core.run.AtomicFiles.deleteTree(work);
      }
      List<LatencyRow> rows = measured.stream().map(LatencyRecords::toRow).toList();
      Metrics m = PredictorEval.eval(p.predictor(), rows);
      System.out.printf(
          Locale.ROOT,
          "%d fresh configs of %s timed here; predictor %s: RMSE %.3f ms, MAPD %.2f%%, "
              + "within 10%%: %.1f%%%n",
          m.n(),
          job.space().name(),
          p.predictor().name(),
          m.rmseMs(),
          m.mapdPct(),
          m.within10Pct());
      if (json) {
        System.out.println(m.toJson());
      }
      return 0;
    }

    private static List<Double> boxed(double[] xs) {
      List<Double> out = new ArrayList<>(xs.length);
      for (double x : xs) {
        out.add(x);
      }
      return out;
    }
  }
}
