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
 * Throughput of prepare on Multi30k en-de train and k-times larger copies (copy i > 0 gets the token "c&lt;i&gt;"
 * appended on both sides so deduplication keeps it). Args: DATA_DIR WORK_DIR SIZES(e.g. 1,10) RUNNERS(e.g.
 * direct,flink1,flink2) REPS.
 */
public final class PrepareBench {
  public static void main(String[] args) throws Exception {
    Path data = Path.of(args[0]);
    Path work = Path.of(args[1]);
    List<Integer> sizes = Arrays.stream(args[2].split(",")).map(Integer::parseInt).toList();
    List<String> runners = List.of(args[3].split(","));
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
    System.out.printf("# prepare benchmark: vocab 8000, shards 4, carve 1000+1000; %d cores; after one untimed warm-up run; median of %d (1x, tiny), single run above 1x; direct: immutability/encodability checks off%n",
        Runtime.getRuntime().availableProcessors(), reps);
    System.out.printf("%-8s %-7s %10s %9s %10s%n", "runner", "corpus", "pairs", "seconds", "pairs/s");
    Map<String, Map<String, Double>> secs = new LinkedHashMap<>();
    for (String runner : runners) {
      // untimed warm-up: JIT and the first Flink mini-cluster start would otherwise land on the first figure
      PreparePipeline.run(PrepareConfig.defaults(CorpusFiles.of(work.resolve("tiny.en").toString(),
          work.resolve("tiny.de").toString()), work.resolve("warmup-" + runner).toString()).withCarveSizes(10, 10),
          options(runner));
      for (String corpus : corpora.keySet()) {
        int r = corpus.equals("tiny") || corpora.get(corpus) <= 1 ? reps : 1;
        double[] t = new double[r];
        for (int i = 0; i < r; i++) {
          PrepareConfig cfg = PrepareConfig.defaults(
              CorpusFiles.of(work.resolve(corpus + ".en").toString(), work.resolve(corpus + ".de").toString()),
              work.resolve("out-" + runner + "-" + corpus).toString()).withCarveSizes(corpus.equals("tiny") ? 10 : 1000,
              corpus.equals("tiny") ? 10 : 1000);
          long t0 = System.nanoTime();
          PreparePipeline.run(cfg, options(runner));
          t[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        double med = t[r / 2];
        secs.computeIfAbsent(runner, x -> new LinkedHashMap<>()).put(corpus, med);
        System.out.printf("%-8s %-7s %10d %9.1f %10.0f%n", runner, corpus, pairs.get(corpus), med,
            pairs.get(corpus) / med);
      }
    }
    String largest = sizes.get(sizes.size() - 1) + "x";
    String smallest = sizes.get(0) + "x";
    for (String runner : runners) {
      Map<String, Double> s = secs.get(runner);
      double fixed = s.get("tiny");
      double perPair = (s.get(largest) - fixed) / pairs.get(largest);
      System.out.printf("%s: fixed start-up %.1f s; %s/%s time ratio net of start-up %.1f for %.0fx the data; "
              + "extrapolated 4.5M pairs: %.0f s (%.1f min)%n", runner, fixed, largest, smallest,
          (s.get(largest) - fixed) / (s.get(smallest) - fixed), (double) pairs.get(largest) / pairs.get(smallest),
          fixed + perPair * 4_500_000, (fixed + perPair * 4_500_000) / 60);
    }
    if (secs.containsKey("flink1") && secs.containsKey("flink2")) {
      for (String corpus : corpora.keySet()) {
        System.out.printf("flink p2/p1 speed-up on %s: %.2fx%n", corpus,
            secs.get("flink1").get(corpus) / secs.get("flink2").get(corpus));
      }
    }
  }

  static PipelineOptions options(String runner) {
    if (runner.equals("direct")) {
      // the DirectRunner's per-element immutability and encodability checks are for tests; off for speed
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
    try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(
        new FileInputStream(p.toFile())), StandardCharsets.UTF_8))) {
      String l;
      while ((l = r.readLine()) != null) {
        out.add(l);
      }
    }
    return out;
  }

  /** k copies (k = 0: the first 200 pairs); returns the number of pairs written. */
  static long write(Path dir, String name, List<String> en, List<String> de, int k) throws Exception {
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
