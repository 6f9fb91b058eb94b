package io.hatflow.pipelines.prepare;

import io.hatflow.transforms.prepare.CorpusFiles;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Throughput of prepare on Multi30k en-de train and k-times larger copies (copy i > 0 gets the
 * token "c&lt;i&gt;" appended on both sides so deduplication keeps it). Args: DATA_DIR WORK_DIR
 * SIZES(e.g. 1,10,100) RUNNERS(e.g. direct,flink1,flink2; {@code runner:K} caps that runner at the
 * K× corpus, e.g. flink1:10) REPS.
 *
 * <p>Linearity: with t(tiny) as the fixed start-up, the net time of the K× corpus over the net time
 * of the smallest must stay within 1.1 × the ratio of their pair counts.
 */
public final class PrepareBench {
  public static void main(String[] args) throws Exception {
    Path data = Path.of(args[0]);
    Path work = Path.of(args[1]);
    List<Integer> sizes = Arrays.stream(args[2].split(",")).map(Integer::parseInt).toList();
    Map<String, Integer> caps = new LinkedHashMap<>();
    for (String r : args[3].split(",")) {
      String[] rc = r.split(":");
      caps.put(rc[0], rc.length > 1 ? Integer.parseInt(rc[1]) : Integer.MAX_VALUE);
    }
    List<String> runners = List.copyOf(caps.keySet());
    int reps = Integer.parseInt(args[4]);
    Files.createDirectories(work);
    List<String> en = readGz(data.resolve("train.en.gz"));
    List<String> de = readGz(data.resolve("train.de.gz"));
    Map<String, Integer> corpora = new LinkedHashMap<>();
    corpora.put("tiny", 0);
    for (int k : sizes) {
      corpora.put(k + "x", k);
    }
    Map<String, Long> pairs = new LinkedHashMap<>();
    for (Map.Entry<String, Integer> c : corpora.entrySet()) {
      pairs.put(c.getKey(), write(work, c.getKey(), en, de, c.getValue()));
    }
    System.out.printf(
        "# prepare benchmark: vocab 8000, shards 4, carve 1000+1000; %d cores; after one untimed warm-up run; median of %d (1x, tiny), single run above 1x; direct: immutability/encodability checks off%n",
        Runtime.getRuntime().availableProcessors(), reps);
    System.out.printf(
        "%-8s %-7s %10s %9s %10s%n", "runner", "corpus", "pairs", "seconds", "pairs/s");
    Map<String, Map<String, Double>> secs = new LinkedHashMap<>();
    for (String runner : runners) {
      // untimed warm-up: JIT and the first Flink mini-cluster start would otherwise land on the
      // first figure
      PreparePipeline.run(
          PrepareConfig.defaults(
                  CorpusFiles.of(
                      work.resolve("tiny.en").toString(), work.resolve("tiny.de").toString()),
                  work.resolve("warmup-" + runner).toString())
              .withCarveSizes(10, 10),
          options(runner));
      for (String corpus : corpora.keySet()) {
        if (corpora.get(corpus) > caps.get(runner)) {
          continue;
        }
        int r = corpus.equals("tiny") || corpora.get(corpus) <= 1 ? reps : 1;
        double[] t = new double[r];
        for (int i = 0; i < r; i++) {
          PrepareConfig cfg =
              PrepareConfig.defaults(
                      CorpusFiles.of(
                          work.resolve(corpus + ".en").toString(),
                          work.resolve(corpus + ".de").toString()),
                      work.resolve("out-" + runner + "-" + corpus).toString())
                  .withCarveSizes(
                      corpus.equals("tiny") ? 10 : 1000, corpus.equals("tiny") ? 10 : 1000);
          long t0 = System.nanoTime();
          PreparePipeline.run(cfg, options(runner));
          t[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        double med = t[r / 2];
        secs.computeIfAbsent(runner, x -> new LinkedHashMap<>()).put(corpus, med);
        System.out.printf(
            "%-8s %-7s %10d %9.1f %10.0f%n",
            runner, corpus, pairs.get(corpus), med, pairs.get(corpus) / med);
      }
    }
    String smallest = sizes.get(0) + "x";
    for (String runner : runners) {
      Map<String, Double> s = secs.get(runner);
      double fixed = s.get("tiny");
      String largest = smallest;
      for (int k : sizes.subList(1, sizes.size())) {
        String c = k + "x";
        if (!s.containsKey(c)) {
          continue;
        }
        largest = c;
        double net = (s.get(c) - fixed) / (s.get(smallest) - fixed);
        double more = (double) pairs.get(c) / pairs.get(smallest);
        System.out.printf(
            "%s: %s/%s time ratio net of start-up %.1f for %.1fx the data: %s (limit %.1f)%n",
            runner,
            c,
            smallest,
            net,
            more,
            net <= 1.1 * more ? "linear" : "NOT linear",
            1.1 * more);
      }
      double perPair = (s.get(largest) - fixed) / pairs.get(largest);
      System.out.printf(
          "%s: fixed start-up %.1f s; extrapolated from %s to 4.5M pairs: %.0f s (%.1f min)%n",
          runner, fixed, largest, fixed + perPair * 4_500_000, (fixed + perPair * 4_500_000) / 60);
    }
    if (secs.containsKey("flink1") && secs.containsKey("flink2")) {
      for (String corpus : corpora.keySet()) {
        if (secs.get("flink1").containsKey(corpus) && secs.get("flink2").containsKey(corpus)) {
          System.out.printf(
              "flink p2/p1 speed-up on %s: %.2fx%n",
              corpus, secs.get("flink1").get(corpus) / secs.get("flink2").get(corpus));
        }
      }
    }
  }

  static PipelineOptions options(String runner) {
    if (runner.equals("direct")) {
      // the DirectRunner's per-element immutability and encodability checks are for tests; off for
      // speed
      DirectOptions d = PipelineOptionsFactory.as(DirectOptions.class);
      d.setEnforceImmutability(false);
      d.setEnforceEncodability(false);
      return d;
    }
    FlinkPipelineOptions o = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    o.setRunner(FlinkRunner.class);
    o.setFlinkMaster("[local]");
    o.setParallelism(Integer.parseInt(runner.substring("flink".length())));
    return o;
  }

  static List<String> readGz(Path p) throws Exception {
    List<String> out = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(new FileInputStream(p.toFile())), StandardCharsets.UTF_8))) {
      String l;
      while ((l = r.readLine()) != null) {
        out.add(l);
      }
    }
    return out;
  }

  /** k copies (k = 0: the first 200 pairs); returns the number of pairs written. */
  static long write(Path dir, String name, List<String> en, List<String> de, int k)
      throws Exception {
    long n = 0;
    try (BufferedWriter a = Files.newBufferedWriter(dir.resolve(name + ".en"));
        BufferedWriter b = Files.newBufferedWriter(dir.resolve(name + ".de"))) {
      int copies = Math.max(k, 1);
      int lines = k == 0 ? 200 : en.size();
      for (int c = 0; c < copies; c++) {
        String tag = c == 0 ? "" : " c" + c;
        for (int i = 0; i < lines; i++) {
          a.write(en.get(i) + tag);
          a.write('\n');
          b.write(de.get(i) + tag);
          b.write('\n');
          n++;
        }
      }
    }
    return n;
  }
}
