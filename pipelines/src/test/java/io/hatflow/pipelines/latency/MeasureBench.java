package io.hatflow.pipelines.latency;

import io.hatflow.core.space.SearchSpace;
import io.hatflow.schemas.LatencyRecord;
import io.hatflow.transforms.latency.LatencyRecords;
import io.hatflow.transforms.latency.MeasureSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Stability of this machine's timings: {@code configs} configs of a space's latency space measured
 * by HAT's protocol (DirectRunner, one host key), then the median over rows of trimmed std / mean
 * and the time per config. Arguments: {@code [configs=30] [threads=1] [runs=20] [space=tiny]
 * [warmup=5] [vocab=8000]}.
 */
public final class MeasureBench {
  private MeasureBench() {}

  public static void main(String[] a) throws Exception {
    int configs = a.length > 0 ? Integer.parseInt(a[0]) : 30;
    int threads = a.length > 1 ? Integer.parseInt(a[1]) : 1;
    int runs = a.length > 2 ? Integer.parseInt(a[2]) : 20;
    SearchSpace space = SearchSpace.preset(a.length > 3 ? a[3] : "tiny").widenedForLatency();
    int warmup = a.length > 4 ? Integer.parseInt(a[4]) : 5;
    int vocab = a.length > 5 ? Integer.parseInt(a[5]) : 8000;
    MeasureSettings s =
        MeasureSettings.of("this-cpu", space, vocab, 0, 5, warmup, runs, threads, 1);
    LatencyPipeline.Job job =
        new LatencyPipeline.Job(space, configs, LatencyRecords.seedOf(1, "this-cpu"), s);
    Path dir = Files.createTempDirectory("hatflow-latency-bench-");
    try {
      long t0 = System.nanoTime();
      LatencyPipeline.Result r =
          LatencyPipeline.run(job, dir, PipelineOptionsFactory.create(), System.out);
      double wall = (System.nanoTime() - t0) / 1e9;
      List<LatencyRecord> recs = LatencyPipeline.readAvro(r.avro());
      double[] perConfig =
          recs.stream()
              .mapToDouble(x -> (x.getEndEpochMicros() - x.getStartEpochMicros()) / 1e6)
              .toArray();
      java.util.Arrays.sort(perConfig);
      double[] total =
          recs.stream()
              .mapToDouble(x -> x.getMeanEncoderMs() + x.getMeanDecoderMs())
              .sorted()
              .toArray();
      LatencyRecords.Stability st = r.stability();
      System.out.printf(
          Locale.ROOT,
          "space %s, %d configs, threads %d, runs %d (+%d warm-up), %d tokens, beam %d, vocab %d; cpu %s, %d cores%n",
          space.name(),
          recs.size(),
          threads,
          runs,
          warmup,
          s.tokens(),
          s.beam(),
          vocab,
          recs.get(0).getCpuModel(),
          recs.get(0).getCores());
      System.out.printf(
          Locale.ROOT,
          "median trimmed std/mean: encoder %.2f%%, decoder %.2f%%, total %.2f%% (target <= 5%%)%n",
          100 * st.medianEncoder(),
          100 * st.medianDecoder(),
          100 * st.medianTotal());
      System.out.printf(
          Locale.ROOT,
          "latency (enc+dec) ms: min %.2f, median %.2f, max %.2f%n",
          total[0],
          total[total.length / 2],
          total[total.length - 1]);
      System.out.printf(
          Locale.ROOT,
          "time per config: median %.3f s (timing only), %.3f s per config for the whole job (wall %.1f s)%n",
          perConfig[perConfig.length / 2],
          wall / recs.size(),
          wall);
    } finally {
      io.hatflow.core.run.AtomicFiles.deleteTree(dir);
    }
  }
}
