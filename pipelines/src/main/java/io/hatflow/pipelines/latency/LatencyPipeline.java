package io.hatflow.pipelines.latency;

import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.spec.Spec;
import io.hatflow.pipelines.io.AvroFiles;
import io.hatflow.schemas.LatencyRecord;
import io.hatflow.transforms.latency.LatencyRecords;
import io.hatflow.transforms.latency.MeasureLatency;
import io.hatflow.transforms.latency.MeasureSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.io.AvroIO;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;

/**
 * Measures a target's latency dataset on this machine as one Beam job ({@link MeasureLatency}),
 * resumably: {@code <out>/<target>.avro} (all fields, host and versions) and {@code
 * <out>/<target>.csv} (HAT's CSV). Rows already in the Avro file for the same target and
 * environment (CPU model, threads, DJL and PyTorch versions, runs, tokens, beam) are kept and not
 * timed again; rows of another environment are dropped. Local paths only.
 */
public final class LatencyPipeline {
  private LatencyPipeline() {}

  /**
   * One target's measurement.
   *
   * @param space the latency space configs are drawn from (HAT: the model space widened)
   * @param samples how many distinct configs (smallest and largest always among them)
   * @param samplingSeed seed of the config draw (spec seed and target name, {@link
   *     LatencyRecords#seedOf})
   */
  public record Job(SearchSpace space, int samples, long samplingSeed, MeasureSettings settings) {
    public String target() {
      return settings.target();
    }
  }

  /** What a measurement left behind. */
  public record Result(
      Path csv,
      Path avro,
      int rows,
      int measured,
      int reused,
      LatencyRecords.Stability stability,
      double secondsPerConfig) {}

  /** The job a spec target with {@code latency.measure} asks for. */
  public static Job job(Spec spec, Spec.TargetSpec t) {
    Spec.Measure m = t.latency().measure();
    if (m == null) {
      throw new UserInputException("target " + t.name() + " has no latency.measure section");
    }
    SearchSpace space = m.space() != null ? m.space() : spec.model().space().widenedForLatency();
    MeasureSettings s =
        MeasureSettings.of(
                t.name(),
                space,
                spec.data().vocabSize(),
                m.srcTokens(),
                m.beam(),
                m.warmup(),
                m.runs(),
                m.threads(),
                LatencyRecords.seedOf(spec.seed(), "latency-weights"))
            .withEngine(t.engine())
            .withMaxRuns(m.maxRuns());
    return new Job(space, m.samples(), LatencyRecords.seedOf(spec.seed(), t.name()), s);
  }

  public static Path csvPath(Path outDir, String target) {
    return outDir.resolve(target + ".csv");
  }

  public static Path avroPath(Path outDir, String target) {
    return outDir.resolve(target + ".avro");
  }

  public static Result run(Job job, Path outDir, PipelineOptions options, PrintStream log) {
    return run(job, outDir, outDir.toString(), options, log);
  }

  /**
   * As above, with the workers' records written under {@code outUri} (the same folder as workers
   * see it: the run directory's URI on a distributed filesystem) and the results in the local
   * {@code outDir}.
   */
  public static Result run(
      Job job, Path outDir, String outUri, PipelineOptions options, PrintStream log) {
    Path avro = avroPath(outDir, job.target());
    Path csv = csvPath(outDir, job.target());
    LatencyRecords.Environment env = LatencyRecords.Environment.current(job.settings());
    Map<String, LatencyRecord> kept = new LinkedHashMap<>();
    int dropped = 0;
    for (LatencyRecord r : Files.exists(avro) ? readAvro(avro) : List.<LatencyRecord>of()) {
      if (r.getTarget().equals(job.target()) && env.matches(r)) {
        kept.putIfAbsent(r.getConfigKey(), r);
      } else {
        dropped++;
      }
    }
    List<SubConfig> wanted =
        LatencyRecords.sample(job.space(), job.samples(), job.samplingSeed(), Set.of());
    if (wanted.size() < job.samples()) {
      log.printf(
          "[latency] %s: the space %s has only %d distinct configs; measuring those%n",
          job.target(), job.space().name(), wanted.size());
    }
    List<SubConfig> missing = new ArrayList<>();
    for (SubConfig c : wanted) {
      if (!kept.containsKey(c.key())) {
        missing.add(c);
      }
    }
    log.printf(
        "[latency] %s: %d configs wanted, %d already measured here%s, %d to measure (threads %d, runs %d..%d)%n",
        job.target(),
        wanted.size(),
        wanted.size() - missing.size(),
        dropped > 0 ? " (" + dropped + " rows of another environment dropped)" : "",
        missing.size(),
        job.settings().threads(),
        job.settings().runs(),
        job.settings().maxRuns());
    long t0 = System.nanoTime();
    List<LatencyRecord> fresh = measure(missing, job.settings(), outUri, options);
    double perConfig =
        missing.isEmpty() ? Double.NaN : (System.nanoTime() - t0) / 1e9 / missing.size();
    List<LatencyRecord> all = new ArrayList<>(kept.values());
    all.addAll(fresh);
    all = LatencyRecords.sorted(all);
    writeAvro(avro, all);
    LatencyCsv.write(csv, LatencyRecords.rows(all));
    LatencyRecords.Stability st = LatencyRecords.stability(all);
    log.printf("[latency] %s: %d rows -> %s; %s%n", job.target(), all.size(), csv, st.describe());
    return new Result(
        csv, avro, all.size(), fresh.size(), all.size() - fresh.size(), st, perConfig);
  }

  /**
   * Times {@code configs} in one Beam job; the workers write the records to a temporary Avro file
   * under {@code workUri} (a local path or a URI the workers can reach), read back here and
   * deleted.
   */
  public static List<LatencyRecord> measure(
      List<SubConfig> configs, MeasureSettings settings, Path workDir, PipelineOptions options) {
    return measure(configs, settings, workDir.toString(), options);
  }

  public static List<LatencyRecord> measure(
      List<SubConfig> configs, MeasureSettings settings, String workUri, PipelineOptions options) {
    if (configs.isEmpty()) {
      return List.of();
    }
    String tmp = workUri + "/.measure-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    try {
      List<String> genes = configs.stream().map(LatencyRecords::genesJson).toList();
      Pipeline p = Pipeline.create(options);
      p.apply("Configs", Create.of(genes).withCoder(StringUtf8Coder.of()))
          .apply("MeasureLatency", MeasureLatency.with(settings))
          .apply(
              "WriteRecords",
              AvroIO.write(LatencyRecord.class)
                  .to(tmp + "/records")
                  .withSuffix(".avro")
                  .withoutSharding());
      PipelineResult.State state = p.run().waitUntilFinish();
      if (state != PipelineResult.State.DONE) {
        throw new IllegalStateException("latency measurement ended in state " + state);
      }
      return AvroFiles.read(tmp + "/records.avro", LatencyRecord.class);
    } finally {
      AvroFiles.deleteTree(tmp);
    }
  }

  public static List<LatencyRecord> readAvro(Path file) {
    List<LatencyRecord> out = new ArrayList<>();
    try (DataFileReader<LatencyRecord> r =
        new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(LatencyRecord.class))) {
      while (r.hasNext()) {
        out.add(r.next());
      }
    } catch (IOException e) {
      throw new UserInputException(
          file + ": not a readable LatencyRecord Avro file: " + e.getMessage(), e);
    }
    return out;
  }

  /** Writes to a temporary name in the same folder, then renames. */
  public static void writeAvro(Path file, List<LatencyRecord> records) {
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
      try {
        try (DataFileWriter<LatencyRecord> w =
            new DataFileWriter<>(new SpecificDatumWriter<>(LatencyRecord.class))) {
          w.create(LatencyRecord.getClassSchema(), tmp.toFile());
          for (LatencyRecord r : records) {
            w.append(r);
          }
        }
        Files.move(
            tmp,
            file,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Keys of the configs in an Avro dataset (for picking fresh configs to validate against). */
  public static Set<String> keys(List<LatencyRecord> records) {
    Set<String> s = new HashSet<>();
    records.forEach(r -> s.add(r.getConfigKey()));
    return s;
  }
}
