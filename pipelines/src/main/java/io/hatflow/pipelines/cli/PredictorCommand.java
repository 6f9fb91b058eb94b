package io.hatflow.pipelines.cli;

import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.latency.LatencyRow;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.latency.Split;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.model.predictor.FitResult;
import io.hatflow.model.predictor.Metrics;
import io.hatflow.model.predictor.PredictorEval;
import io.hatflow.model.predictor.PredictorFit;
import io.hatflow.model.predictor.PredictorIO;
import io.hatflow.model.predictor.PredictorMeta;
import io.hatflow.model.predictor.TransferFit;
import io.hatflow.model.predictor.TransferPredictor;
import io.hatflow.pipelines.io.InputFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hatflow predictor fit|eval}: latency predictors on HAT latency CSVs. */
@Command(
    name = "predictor",
    mixinStandardHelpOptions = true,
    description = "Fit or evaluate a latency predictor on a HAT latency CSV.",
    subcommands = {PredictorCommand.Fit.class, PredictorCommand.Eval.class})
public final class PredictorCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec self;

  @Override
  public Integer call() {
    throw new picocli.CommandLine.ParameterException(
        self.commandLine(), "give a subcommand: fit or eval");
  }

  /** The split file, or HAT's seeded 80/10/10 shuffle. */
  static Split split(Path file, LatencyTable table, long seed) {
    if (file == null) {
      return Split.seeded(table.size(), seed);
    }
    if (!Files.isRegularFile(file)) {
      throw new UserInputException(file + ": no such split file");
    }
    return Split.read(file, table.size());
  }

  /** A latency CSV, local or gs:// (Beam FileSystems), and the SHA-256 of its bytes. */
  record Dataset(LatencyTable table, String sha256) {}

  static Dataset read(String csv) {
    return read("--latency", csv);
  }

  static Dataset read(String option, String csv) {
    byte[] bytes = InputFiles.readAll(option, csv, null);
    return new Dataset(LatencyCsv.read(csv, bytes), Digests.sha256(bytes));
  }

  @Command(
      name = "fit",
      mixinStandardHelpOptions = true,
      description = "Fit a predictor and save it to --out.")
  static final class Fit implements Callable<Integer> {
    @Option(
        names = "--latency",
        required = true,
        paramLabel = "CSV",
        description = "A local path or gs:// URI.")
    String csv;

    @Option(names = "--out", required = true, paramLabel = "DIR")
    Path out;

    @Option(
        names = "--split",
        paramLabel = "SPLIT.json",
        description = "Row indices (default: seeded 80/10/10 shuffle).")
    Path splitFile;

    @Option(
        names = "--model",
        defaultValue = PredictorFit.DEFAULT_MODEL,
        paramLabel = "NAME",
        description = "phys-gbdt (default), hat-mlp, linear, phys-linear, gbdt.")
    String model;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N")
    long seed;

    @Option(
        names = "--space",
        defaultValue = "hat-wmt-space0",
        paramLabel = "NAME",
        description =
            "Search space the data covers, recorded with the predictor (default ${DEFAULT-VALUE}).")
    String space;

    @Option(
        names = "--target",
        defaultValue = "",
        paramLabel = "NAME",
        description = "Hardware target name to record.")
    String target;

    @Option(
        names = "--json",
        description = "Print the test metrics as one JSON object on the last line.")
    boolean json;

    @Option(
        names = "--transfer-from",
        split = ",",
        paramLabel = "CSV",
        description =
            "Latency sets of other devices of the same space (comma-separated): fit the new device's"
                + " predictor by transfer (their shape, its scale and residual from its own rows).")
    List<String> transferFrom = List.of();

    @Option(
        names = "--max-rows",
        paramLabel = "K",
        description =
            "Fit on the first K training rows only (in the split file's order with --split).")
    Integer maxRows;

    @Override
    public Integer call() {
      if (!PredictorFit.MODELS.contains(model)) {
        throw new UserInputException(
            "--model: unknown predictor \""
                + model
                + "\" (known: "
                + String.join(", ", PredictorFit.MODELS)
                + ")");
      }
      if (!transferFrom.isEmpty() && !model.equals(PredictorFit.DEFAULT_MODEL)) {
        throw new UserInputException(
            "--model "
                + model
                + ": a fit with --transfer-from makes its own model ("
                + TransferPredictor.NAME
                + "); leave --model out");
      }
      Dataset data = read(csv);
      LatencyTable table = data.table();
      Split split = split(splitFile, table, seed);
      if (maxRows != null) {
        split = firstRows(split, maxRows);
      }
      String what = transferFrom.isEmpty() ? model : TransferPredictor.NAME;
      FitResult r;
      PredictorMeta meta = new PredictorMeta(space, target, csv, data.sha256());
      if (transferFrom.isEmpty()) {
        r = PredictorFit.fit(table, split, model, seed);
      } else {
        SearchSpace latencySpace = latencySpace();
        TransferFit.checkSpace(latencySpace, table, csv + " (--latency)");
        List<TransferFit.Source> sources = new ArrayList<>();
        for (String src : transferFrom) {
          Dataset d = read("--transfer-from", src);
          TransferFit.checkSpace(latencySpace, d.table(), src + " (--transfer-from)");
          sources.add(new TransferFit.Source(src, d.sha256(), d.table()));
        }
        split.validate(table.size(), "split of " + csv);
        List<LatencyRow> rows = table.select(split.train());
        TransferFit.Result t = TransferFit.fit(rows, sources);
        r =
            new FitResult(
                t.predictor(),
                t.train(),
                t.leaveOneOut(),
                PredictorEval.eval(t.predictor(), table.select(split.test())),
                t.fitSeconds(),
                seed,
                t.selection());
        meta =
            meta.withTransfer(
                new PredictorMeta.Transfer(
                    sources.stream().map(TransferFit.Source::sha256).toList(), rows.size()));
      }
      PredictorIO.save(out, r, meta);
      System.out.printf(
          java.util.Locale.ROOT,
          "%s: %s fitted on %d rows in %.2f s; test %s%n",
          out,
          what,
          split.train().length,
          r.fitSeconds(),
          r.test().toJson());
      if (json) {
        System.out.println(r.test().toJson());
      }
      return 0;
    }

    /** The split with only its first {@code k} training rows (valid and test rows unchanged). */
    private Split firstRows(Split s, int k) {
      int have = s.train().length;
      String of =
          splitFile != null
              ? "the training part of " + splitFile
              : "the training rows of " + csv + " (seeded 80/10/10 split)";
      if (k < 1) {
        throw new UserInputException("--max-rows: expected at least 1, got " + k);
      }
      if (k > have) {
        throw new UserInputException(
            "--max-rows " + k + ": more rows than available: " + of + " has " + have);
      }
      return new Split(
          "first " + k + " training rows of: " + s.note(),
          java.util.Arrays.copyOf(s.train(), k),
          s.valid(),
          s.test());
    }

    /**
     * The space configs of --space are measured in (HAT's latency sets: the search space widened).
     */
    private SearchSpace latencySpace() {
      if (!SearchSpace.PRESETS.contains(space)) {
        throw new UserInputException(
            "--space "
                + space
                + ": a transfer fit checks its sources against the"
                + " search space; expected one of "
                + String.join(", ", SearchSpace.PRESETS));
      }
      return SearchSpace.preset(space).widenedForLatency();
    }
  }

  @Command(
      name = "eval",
      mixinStandardHelpOptions = true,
      description =
          "Score a saved predictor on the test rows of a split; the last line is one JSON object.")
  static final class Eval implements Callable<Integer> {
    @Option(names = "--predictor", required = true, paramLabel = "DIR")
    Path predictor;

    @Option(
        names = "--latency",
        required = true,
        paramLabel = "CSV",
        description = "A local path or gs:// URI.")
    String csv;

    @Option(
        names = "--split",
        paramLabel = "SPLIT.json",
        description = "Row indices (default: seeded 80/10/10 shuffle).")
    Path splitFile;

    @Option(
        names = "--seed",
        defaultValue = "1",
        paramLabel = "N",
        description = "Seed of the default split.")
    long seed;

    @Option(
        names = "--json",
        description = "Accepted for symmetry: the last line is always the JSON metrics.")
    boolean json;

    @Override
    public Integer call() {
      PredictorIO.Loaded p = PredictorIO.load(predictor);
      LatencyTable table = read(csv).table();
      Split split = split(splitFile, table, seed);
      Metrics m = PredictorEval.eval(p.predictor(), table.select(split.test()));
      if (!json) {
        System.out.printf(
            java.util.Locale.ROOT,
            "%s on %d test rows of %s: RMSE %.3f ms, MAPD %.2f%%, within 10%%: %.1f%%%n",
            p.predictor().name(),
            m.n(),
            csv,
            m.rmseMs(),
            m.mapdPct(),
            m.within10Pct());
      }
      System.out.println(m.toJson());
      return 0;
    }
  }
}
