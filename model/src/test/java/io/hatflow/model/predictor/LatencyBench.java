package io.hatflow.model.predictor;

import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.latency.Split;
import io.hatflow.core.run.UserInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Benchmark behind launch/bench/latency.sh: every model on a HAT latency dataset, on the given
 * split and on seeded 80/10/10 splits; prints one JSON line per fit, then a table of test metrics
 * and batch speed.
 *
 * <p>Arguments: {@code CSV SPLIT_JSON [--seeds 1,2,3|none] [--models a,b] [--mlp-seeds N]
 * [--mlp-lat-norm X] [--mlp-steps N]}. {@code --mlp-seeds} fits hat-mlp with seeds 0..N-1 on the
 * given split only (HAT's figure is a mean over 3 seeds); the seeded splits use seed 0.
 */
public final class LatencyBench {
  private LatencyBench() {}

  public static void main(String[] args) throws java.io.IOException {
    if (args.length > 0 && args[0].equals("--all")) {
      all(args);
      return;
    }
    if (args.length < 2) {
      System.err.println(
          "usage: LatencyBench CSV SPLIT_JSON [--seeds 1,2,3|none] [--models a,b] [--mlp-seeds N]"
              + " [--mlp-lat-norm X] [--mlp-steps N]");
      System.exit(2);
    }
    LatencyTable table = LatencyCsv.read(Path.of(args[0]));
    Map<String, Split> splits = new LinkedHashMap<>();
    splits.put("given", Split.read(Path.of(args[1]), table.size()));
    List<String> models = PredictorFit.MODELS;
    int mlpSeeds = 1;
    HatMlpPredictor.Config mlp = HatMlpPredictor.Config.hat();
    long[] seeds = {1, 2, 3};
    for (int i = 2; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--seeds" ->
            seeds =
                args[i + 1].equals("none")
                    ? new long[0]
                    : Arrays.stream(args[i + 1].split(",")).mapToLong(Long::parseLong).toArray();
        case "--models" -> models = List.of(args[i + 1].split(","));
        case "--mlp-seeds" -> mlpSeeds = Integer.parseInt(args[i + 1]);
        case "--mlp-lat-norm" -> mlp = mlp.withLatNorm(Double.parseDouble(args[i + 1]));
        case "--mlp-steps" -> mlp = mlp.withTrainSteps(Integer.parseInt(args[i + 1]));
        default -> throw new UserInputException("unknown option " + args[i]);
      }
    }
    for (long s : seeds) {
      splits.put("seeded-" + s, Split.seeded(table.size(), s));
    }
    double[][] batch = tile(LatencyTable.features(table.rows()), 100_000);
    List<String> table1 = new ArrayList<>();
    for (String model : models) {
      for (Map.Entry<String, Split> sp : splits.entrySet()) {
        int fits = model.equals("hat-mlp") && sp.getKey().equals("given") ? mlpSeeds : 1;
        List<FitResult> rs = new ArrayList<>();
        for (int seed = 0; seed < fits; seed++) {
          FitResult r = PredictorFit.fit(table, sp.getValue(), model, seed, mlp);
          rs.add(r);
          System.out.printf(
              Locale.ROOT,
              "{\"model\":\"%s\",\"split\":\"%s\",\"seed\":%d,\"fit_s\":%.2f,"
                  + "\"valid\":%s,\"test\":%s}%n",
              model,
              sp.getKey(),
              seed,
              r.fitSeconds(),
              r.valid().toJson(),
              r.test().toJson());
          System.out.flush();
        }
        double cps =
            sp.getKey().equals("given")
                ? configsPerSecond(rs.get(0).predictor(), batch)
                : Double.NaN;
        table1.add(
            String.format(
                Locale.ROOT,
                "%-12s %-9s %5.1f %8.2f %8.2f %8.2f %8.2f %7.3f %9.2f %12s",
                model,
                sp.getKey(),
                (double) rs.size(),
                mean(rs, r -> r.valid().rmseMs()),
                mean(rs, r -> r.valid().mapdPct()),
                mean(rs, r -> r.test().rmseMs()),
                mean(rs, r -> r.test().mapdPct()),
                mean(rs, r -> r.test().kendallTau()),
                mean(rs, FitResult::fitSeconds),
                Double.isNaN(cps) ? "" : String.format(Locale.ROOT, "%.0f", cps)));
      }
    }
    System.out.println();
    System.out.println(
        "model        split     fits vRMSE_ms  vMAPD_%  tRMSE_ms  tMAPD_% tKendall  fit_s  configs/s(1 thread)");
    table1.forEach(System.out::println);
  }

  /**
   * {@code --all DIR... [--seeds N]}: every latency set in the directories (as
   * launch/bench/transfer.sh finds them: HAT's split beside a set, else a seeded split), the
   * default predictor against HAT's MLP (HAT's hyperparameters, lat-norm from the training mean as
   * HAT's per-device configs), each the mean over seeds 0..N-1 (default 3) on the set's test rows;
   * a win needs both RMSE and MAPD strictly lower. {@code --model M} puts another model in the
   * default's place; {@code --no-mlp} fits only that model (no win/lose).
   */
  static void all(String[] args) throws java.io.IOException {
    List<Path> dirs = new ArrayList<>();
    int seeds = 3;
    boolean mlp = true;
    String candidate = PredictorFit.DEFAULT_MODEL;
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--seeds")) {
        seeds = Integer.parseInt(args[++i]);
      } else if (args[i].equals("--model")) {
        candidate = args[++i]; // the model set against hat-mlp (default: the default predictor)
      } else if (args[i].equals("--no-mlp")) {
        mlp = false; // the default alone (quick look; no win/lose)
      } else {
        dirs.add(Path.of(args[i]));
      }
    }
    List<String> rows = new ArrayList<>();
    for (TransferBench.Set s : TransferBench.discover(dirs)) {
      Map<String, List<FitResult>> fits = new LinkedHashMap<>();
      for (String model : mlp ? List.of(candidate, "hat-mlp") : List.of(candidate)) {
        List<FitResult> rs = new ArrayList<>();
        for (int seed = 0; seed < seeds; seed++) {
          FitResult r = PredictorFit.fit(s.table(), s.split(), model, seed);
          rs.add(r);
          System.out.printf(
              Locale.ROOT,
              "{\"set\":\"%s\",\"split\":\"%s\",\"model\":\"%s\",\"seed\":%d,"
                  + "\"fit_s\":%.2f,\"valid\":%s,\"test\":%s,\"selection\":\"%s\"}%n",
              s.name(),
              s.splitNote(),
              model,
              seed,
              r.fitSeconds(),
              r.valid().toJson(),
              r.test().toJson(),
              r.selection().replace("\"", "'"));
          System.out.flush();
        }
        fits.put(model, rs);
      }
      List<FitResult> d = fits.get(candidate), h = fits.getOrDefault("hat-mlp", List.of());
      double dr = mean(d, r -> r.test().rmseMs()), dm = mean(d, r -> r.test().mapdPct());
      double hr = mean(h, r -> r.test().rmseMs()), hm = mean(h, r -> r.test().mapdPct());
      rows.add(
          String.format(
              Locale.ROOT,
              "%-28s %-6s %10.3f %8.3f %10.3f %8.3f  %-5s %-5s %7.2f",
              s.name(),
              s.splitNote().startsWith("HAT") ? "HAT" : "seeded",
              dr,
              dm,
              hr,
              hm,
              dr < hr ? "win" : "lose",
              dm < hm ? "win" : "lose",
              mean(d, FitResult::fitSeconds)));
    }
    System.out.println();
    System.out.printf("mean of %d seeds on each set's test rows; def = %s%n", seeds, candidate);
    System.out.println(
        "set                          split  def_RMSE  def_MAPD  mlp_RMSE  mlp_MAPD  RMSE  MAPD  def_fit_s");
    rows.forEach(System.out::println);
  }

  private interface Get {
    double of(FitResult r);
  }

  private static double mean(List<FitResult> rs, Get g) {
    return rs.stream().mapToDouble(g::of).average().orElse(Double.NaN);
  }

  private static double[][] tile(double[][] x, int n) {
    double[][] out = new double[n][];
    for (int i = 0; i < n; i++) {
      out[i] = x[i % x.length];
    }
    return out;
  }

  /**
   * Median of 5 timed passes over 100,000 configs after one warm-up pass, on the calling thread.
   */
  static double configsPerSecond(LatencyPredictor p, double[][] batch) {
    p.predictBatch(batch);
    double[] rates = new double[5];
    for (int k = 0; k < rates.length; k++) {
      long t0 = System.nanoTime();
      p.predictBatch(batch);
      rates[k] = batch.length / ((System.nanoTime() - t0) / 1e9);
    }
    Arrays.sort(rates);
    return rates[rates.length / 2];
  }
}
