import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.ToString;

/**
 * The Beam job of launch/tests/share_nothing_smoke.sh: counts the lines of INPUT and writes "line,count" rows to
 * OUTPUT-*.tsv. Run as a single-file source against hatflow's shaded jar, which has Beam, the FlinkRunner and
 * Beam's hadoop-file-system (hdfs://):
 * <pre>
 * java -cp hatflow.jar launch/tests/ShareNothingSmoke.java INPUT OUTPUT --runner=FlinkRunner \
 *     --flinkMaster=127.0.0.1:8081 --parallelism=2 --hdfsConfiguration='[{"fs.defaultFS":"hdfs://127.0.0.1:P"}]'
 * </pre>
 * The pipeline uses only Beam's own transforms: this class is compiled in memory and is not in the staged jar, so
 * the cluster could not load a DoFn of ours. The input is matched with {@code withHintMatchesManyFiles()}, which
 * expands the pattern in a task on a TaskManager (not on the client or at job submission), so a path that only
 * the client can see fails there. Exit 0 and "smoke: DONE" on success; exit 3 and "smoke: FAILED: cause" when the
 * job fails.
 */
public final class ShareNothingSmoke {
  private ShareNothingSmoke() {}

  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: ShareNothingSmoke INPUT OUTPUT_PREFIX [Beam options]");
      System.exit(2);
    }
    String input = args[0];
    String output = args[1];
    String[] beamArgs = java.util.Arrays.copyOfRange(args, 2, args.length);
    FlinkPipelineOptions o = PipelineOptionsFactory.fromArgs(beamArgs).withValidation().as(FlinkPipelineOptions.class);
    Pipeline p = Pipeline.create(o);
    p.apply("Read", TextIO.read().from(input).withHintMatchesManyFiles())
        .apply("Count", Count.perElement())
        .apply("Format", ToString.kvs())
        .apply("Write", TextIO.write().to(output).withSuffix(".tsv"));
    long t0 = System.nanoTime();
    try {
      PipelineResult.State st = p.run().waitUntilFinish();
      double s = (System.nanoTime() - t0) / 1e9;
      if (st != PipelineResult.State.DONE) {
        System.out.printf("smoke: FAILED: job ended %s after %.1f s%n", st, s);
        System.exit(3);
      }
      System.out.printf("smoke: DONE: %s -> %s in %.1f s%n", input, output, s);
    } catch (RuntimeException e) {
      Throwable root = e;
      StringBuilder chain = new StringBuilder();
      for (Throwable c = e; c != null; c = c.getCause()) {
        chain.append("\n  caused by ").append(c.getClass().getName()).append(": ").append(c.getMessage());
        root = c;
      }
      System.out.printf("smoke: FAILED: %s: %s%s%n", root.getClass().getName(), root.getMessage(), chain);
      System.exit(3);
    }
  }
}
