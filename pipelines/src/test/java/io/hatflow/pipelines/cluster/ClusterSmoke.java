package io.hatflow.pipelines.cluster;

import io.hatflow.core.run.Digests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.FlatMapElements;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * A diagnostic, not a hatflow command: a word count over deterministic generated text, to prove
 * that a runner (e.g. the standalone cluster of {@code launch/flink-cluster.sh}) runs hatflow's
 * shaded jar correctly. Prints a checksum of the sorted counts, which is the same on every runner
 * and parallelism, and the job's seconds.
 *
 * <pre>
 * java -cp pipelines/target/hatflow.jar io.hatflow.pipelines.cluster.ClusterSmoke \
 *     --runner=FlinkRunner --flinkMaster=127.0.0.1:8081 --parallelism=2 [--shards=16 --linesPerShard=2000]
 * </pre>
 */
public final class ClusterSmoke {
  private ClusterSmoke() {}

  public interface SmokeOptions extends PipelineOptions {
    @Description(
        "Folder for the counts (must be visible to the workers and this client); default: a temp dir.")
    String getOutput();

    void setOutput(String v);

    @Description("Independent generator seeds (work items).")
    @Default.Integer(16)
    int getShards();

    void setShards(int v);

    @Description("Lines generated per shard (12 words each).")
    @Default.Integer(2000)
    int getLinesPerShard();

    void setLinesPerShard(int v);
  }

  /**
   * The lines of one shard: 12 words each, skewed so that counts differ widely (like real text).
   */
  static List<String> lines(int shard, int n) {
    SplittableRandom r = new SplittableRandom(1_000_003L * shard + 17);
    List<String> out = new ArrayList<>(n);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.setLength(0);
      for (int w = 0; w < 12; w++) {
        double u = r.nextDouble();
        b.append(w == 0 ? "" : " ").append('w').append((int) (u * u * u * 5000));
      }
      out.add(b.toString());
    }
    return out;
  }

  static final class Generate extends DoFn<Integer, String> {
    private final int n;

    Generate(int n) {
      this.n = n;
    }

    @ProcessElement
    public void process(@Element Integer shard, OutputReceiver<String> out) {
      lines(shard, n).forEach(out::output);
    }
  }

  public static void main(String[] args) throws IOException {
    SmokeOptions o = PipelineOptionsFactory.fromArgs(args).withValidation().as(SmokeOptions.class);
    boolean temp = o.getOutput() == null;
    Path outDir = temp ? Files.createTempDirectory("hatflow-smoke") : Path.of(o.getOutput());
    Files.createDirectories(outDir);
    Pipeline p = Pipeline.create(o);
    p.apply("Shards", Create.of(IntStream.range(0, o.getShards()).boxed().toList()))
        .apply("Spread", Reshuffle.viaRandomKey())
        .apply("Generate", ParDo.of(new Generate(o.getLinesPerShard())))
        .apply(
            "Words",
            FlatMapElements.into(TypeDescriptors.strings())
                .via((String l) -> List.of(l.split(" "))))
        .apply("Count", Count.perElement())
        .apply(
            "Format",
            MapElements.into(TypeDescriptors.strings())
                .via((KV<String, Long> kv) -> kv.getKey() + "\t" + kv.getValue()))
        .apply("Write", TextIO.write().to(outDir.resolve("counts").toString()).withSuffix(".tsv"));
    long t0 = System.nanoTime();
    PipelineResult.State st = p.run().waitUntilFinish();
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (st != PipelineResult.State.DONE) {
      System.err.println("smoke: job ended " + st);
      System.exit(1);
    }
    List<String> rows = new ArrayList<>();
    try (Stream<Path> s = Files.list(outDir)) {
      for (Path f : s.filter(f -> f.getFileName().toString().startsWith("counts")).toList()) {
        rows.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
      }
    }
    rows.sort(null);
    if (temp) {
      try (Stream<Path> s = Files.walk(outDir)) {
        for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
    long total =
        rows.stream().mapToLong(r -> Long.parseLong(r.substring(r.indexOf('\t') + 1))).sum();
    System.out.printf(
        "smoke: runner %s, %d distinct words, %d words, checksum %s, job %.2f s%n",
        o.getRunner().getSimpleName(),
        rows.size(),
        total,
        Digests.sha256(String.join("\n", rows)).substring(0, 16),
        seconds);
  }
}
