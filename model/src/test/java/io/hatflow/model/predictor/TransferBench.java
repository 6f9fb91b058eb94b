package io.hatflow.model.predictor;

import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.latency.LatencyRow;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.latency.Split;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.SearchSpace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Benchmark behind launch/bench/transfer.sh: every latency CSV found in the given directories
 * (deduplicated by content), grouped by the search space its rows lie in; per set, leave it out,
 * take K rows of it (the first K training rows of its split: {@code <stem>_seed0_split.json} beside
 * it when present, HAT's, else a seeded 80/10/10 split with seed 1) and score on its test rows: (t)
 * a transfer fit from the other sets of its space, (a) the default predictor fitted on the same K
 * rows alone, (b) the default fitted on all training rows.
 *
 * <p>Arguments: {@code DIR... [--rows K]}.
 */
public final class TransferBench {
  private TransferBench() {}

  public record Set(
      String name,
      String sha256,
      LatencyTable table,
      Split split,
      String splitNote,
      String space) {}

  public static void main(String[] args) throws IOException {
    int k = 20;
    List<Path> dirs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--rows")) {
        k = Integer.parseInt(args[++i]);
      } else {
        dirs.add(Path.of(args[i]));
      }
    }
    List<Set> sets = discover(dirs);
    System.out.printf(Locale.ROOT, "K = %d rows of the left-out set; test rows of its split%n", k);
    List<String> lines = new ArrayList<>();
    for (Set s : sets) {
      List<TransferFit.Source> sources = new ArrayList<>();
      for (Set o : sets) {
        if (o != s && o.space().equals(s.space())) {
          sources.add(new TransferFit.Source(o.name(), o.sha256(), o.table()));
        }
      }
      if (sources.isEmpty()) {
        System.out.printf("%s: no other latency set of space %s; skipped%n", s.name(), s.space());
        continue;
      }
      int[] train = s.split().train();
      List<LatencyRow> few = s.table().select(Arrays.copyOf(train, k));
      List<LatencyRow> test = s.table().select(s.split().test());
      TransferFit.Result t = TransferFit.fit(few, sources);
      Metrics mt = PredictorEval.eval(t.predictor(), test);
      Split fewSplit =
          new Split(
              "first " + k + " training rows",
              Arrays.copyOf(train, k),
              s.split().valid(),
              s.split().test());
      Metrics ma = PredictorFit.fit(s.table(), fewSplit, PredictorFit.DEFAULT_MODEL, 1).test();
      FitResult b = PredictorFit.fit(s.table(), s.split(), PredictorFit.DEFAULT_MODEL, 1);
      Metrics mb = b.test();
      String chosen =
          sources.stream()
              .filter(x -> x.sha256().equals(t.predictor().source()))
              .findFirst()
              .map(TransferFit.Source::name)
              .orElse("?");
      System.out.printf(
          Locale.ROOT,
          "{\"set\":\"%s\",\"split\":\"%s\",\"sources\":%d,\"transfer_fit_s\":%.3f,"
              + "\"default_all_fit_s\":%.2f,\"transfer\":%s,\"default_k\":%s,\"default_all\":%s,\"chosen\":\"%s\","
              + "\"residual\":\"%s\"}%n",
          s.name(),
          s.splitNote(),
          sources.size(),
          t.fitSeconds(),
          b.fitSeconds(),
          mt.toJson(),
          ma.toJson(),
          mb.toJson(),
          chosen,
          Double.isFinite(t.predictor().ridge()) ? "ridge " + t.predictor().ridge() : "none");
      System.out.flush();
      lines.add(
          String.format(
              Locale.ROOT,
              "%-28s %-6s %9.2f %7.2f %9.2f %7.2f %9.2f %7.2f %6.2f  %s",
              s.name(),
              s.splitNote().startsWith("HAT") ? "HAT" : "seeded",
              mt.rmseMs(),
              mt.mapdPct(),
              ma.rmseMs(),
              ma.mapdPct(),
              mb.rmseMs(),
              mb.mapdPct(),
              mt.mapdPct() / mb.mapdPct(),
              chosen));
    }
    System.out.println();
    System.out.println(
        "set                          split  t_RMSE_ms t_MAPD%  a_RMSE_ms a_MAPD%  b_RMSE_ms b_MAPD%"
            + "  t/b    shape from");
    lines.forEach(System.out::println);
  }

  /** Latency CSVs in the directories, once per content, with their split and space. */
  public static List<Set> discover(List<Path> dirs) throws IOException {
    Map<String, Set> bySha = new LinkedHashMap<>();
    for (Path dir : dirs) {
      if (!Files.isDirectory(dir)) {
        System.out.println(dir + ": not a directory; skipped");
        continue;
      }
      List<Path> csvs;
      try (Stream<Path> st = Files.list(dir)) {
        csvs = st.filter(p -> p.getFileName().toString().endsWith(".csv")).sorted().toList();
      }
      for (Path csv : csvs) {
        String sha = Digests.sha256(csv);
        if (bySha.containsKey(sha)) {
          continue;
        }
        LatencyTable t = LatencyCsv.read(csv);
        String space = spaceOf(t);
        if (space == null) {
          System.out.println(csv + ": in none of the preset spaces; skipped");
          continue;
        }
        String stem = csv.getFileName().toString().replaceAll("(_all)?\\.csv$", "");
        Path splitFile = dir.resolve(stem + "_seed0_split.json");
        Split split;
        String note;
        if (Files.isRegularFile(splitFile)) {
          split = Split.read(splitFile, t.size());
          note = "HAT " + splitFile.getFileName();
        } else {
          split = Split.seeded(t.size(), 1);
          note = "seeded 80/10/10, seed 1";
        }
        bySha.put(sha, new Set(stem, sha, t, split, note, space));
      }
    }
    return new ArrayList<>(bySha.values());
  }

  /** The first preset whose latency space holds every row, or null. */
  static String spaceOf(LatencyTable t) {
    for (String name : SearchSpace.PRESETS) {
      try {
        TransferFit.checkSpace(SearchSpace.preset(name).widenedForLatency(), t, t.source());
        return name;
      } catch (UserInputException e) {
        // not this one
      }
    }
    return null;
  }
}
