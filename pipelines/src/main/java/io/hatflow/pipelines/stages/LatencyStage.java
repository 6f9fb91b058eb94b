package io.hatflow.pipelines.stages;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.run.Artifact;
import io.hatflow.core.run.AtomicFiles;
import io.hatflow.core.run.CodeScope;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.spec.Spec;
import io.hatflow.pipelines.io.InputFiles;
import io.hatflow.pipelines.latency.LatencyPipeline;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * latency: for every spec target, HAT's latency dataset in {@code latency/<target>.csv}: measured
 * here by HAT's protocol (plus {@code <target>.avro} with host and versions; resumable) or imported
 * from a HAT CSV, local or {@code gs://} (validated, then copied). Needs no data, so it has no
 * upstream.
 */
public final class LatencyStage implements Stage {
  public static final String NAME = "latency";

  /**
   * The code this stage's outputs depend on (CodeScopeTest checks it covers everything the stage
   * reaches).
   */
  static final CodeScope SCOPE =
      Stage.COMMON.plus(
          new CodeScope(
              List.of(
                  "io.hatflow.core.latency",
                  "io.hatflow.model.decode",
                  "io.hatflow.model.export",
                  "io.hatflow.model.extract",
                  "io.hatflow.model.latency",
                  "io.hatflow.model.transformer",
                  "io.hatflow.pipelines.latency",
                  "io.hatflow.transforms.latency"),
              List.of("io.hatflow.pipelines.stages.LatencyStage")));

  /**
   * latency's outputs: per target HAT's CSV and, when measured here, the Avro rows with host and
   * versions.
   */
  public record Outputs(Path dir) {
    /** In a run directory's local copy ({@link io.hatflow.core.run.RunDir#dir()}). */
    public static Outputs at(Path runDir) {
      return new Outputs(runDir.resolve(NAME));
    }

    public static Outputs in(io.hatflow.core.run.RunDir rd) {
      return at(rd.dir());
    }

    public Path csv(String target) {
      return LatencyPipeline.csvPath(dir, target);
    }

    public Path avro(String target) {
      return LatencyPipeline.avroPath(dir, target);
    }

    /**
     * Per target ({@code target}, or every one when null), its fullest record: the Avro rows where
     * measured here, else the (imported) CSV; sorted.
     */
    public List<Path> fullestRecords(String target) {
      List<Path> out = new java.util.ArrayList<>();
      try (java.util.stream.Stream<Path> s = Files.list(dir)) {
        for (Path f : s.sorted().toList()) {
          String n = f.getFileName().toString();
          boolean avro = n.endsWith(".avro");
          boolean csvOnly =
              n.endsWith(".csv")
                  && !Files.exists(f.resolveSibling(n.replaceFirst("\\.csv$", ".avro")));
          if ((avro || csvOnly) && (target == null || n.startsWith(target + "."))) {
            out.add(f);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + dir, e);
      }
      return out;
    }
  }

  @Override
  public CodeScope codeScope() {
    return SCOPE;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String specSection(StageContext ctx) {
    Spec s = ctx.spec();
    StringBuilder b = new StringBuilder();
    b.append("space=").append(s.model().space()).append(";vocab=").append(s.data().vocabSize());
    for (Spec.TargetSpec t : Contents.of(s.targets())) {
      b.append(";target=").append(t.name()).append(':').append(t.latency());
    }
    return b.toString();
  }

  @Override
  public void run(StageContext ctx) throws IOException {
    Outputs outputs = Outputs.in(ctx.runDir());
    Path out = outputs.dir();
    ctx.pruneOtherTargets(out);
    StageRecorder rec = ctx.record();
    ObjectNode counts = rec.counts();
    for (Spec.TargetSpec t : ctx.spec().targets()) {
      ObjectNode c = counts.putObject(t.name());
      if (t.latency().measured()) {
        LatencyPipeline.Result r =
            LatencyPipeline.run(
                LatencyPipeline.job(ctx.spec(), t), out, ctx.uri(out), ctx.options(), ctx.log());
        c.put("rows", r.rows());
        c.put("measured", r.measured());
        c.put("reused", r.reused());
        c.put("median_std_over_mean_total", r.stability().medianTotal());
        rec.output(t.name() + ".csv", r.csv());
        rec.output(t.name() + ".avro", r.avro());
      } else {
        String src = t.latency().dataset();
        Path dst = outputs.csv(t.name());
        Imported imp =
            importCsv("targets." + t.name() + ".latency.dataset", src, dst, ctx.options());
        c.put("rows", imp.table().size());
        if (InputFiles.isRemote(src)) {
          rec.input(t.name(), Artifact.remote(src, imp.sha256()));
        } else {
          rec.input(t.name(), Path.of(src));
        }
        rec.output(t.name() + ".csv", dst);
        ctx.log()
            .printf("[latency] %s: imported %d rows from %s%n", t.name(), imp.table().size(), src);
      }
    }
  }

  /** Measures one spec target into {@code out} (resuming from rows already there). */
  public static LatencyPipeline.Result measure(
      Spec spec, Spec.TargetSpec t, Path out, PipelineOptions options, PrintStream log) {
    return LatencyPipeline.run(LatencyPipeline.job(spec, t), out, options, log);
  }

  /** An imported latency dataset and the SHA-256 of the bytes read. */
  public record Imported(LatencyTable table, String sha256) {}

  /**
   * Reads a HAT CSV from a local path or {@code gs://} (Beam FileSystems), validates it ({@link
   * LatencyCsv}: file:line and column on bad input), then writes it to the local {@code dst}
   * atomically.
   *
   * @param what the spec key or option that named it, for the error message
   * @param options Beam options that configure the file systems (null: Beam's defaults)
   */
  public static Imported importCsv(String what, String src, Path dst, PipelineOptions options) {
    byte[] bytes = InputFiles.readAll(what, src, options);
    LatencyTable table = LatencyCsv.read(src, bytes);
    try {
      Files.createDirectories(dst.toAbsolutePath().getParent());
      AtomicFiles.write(dst, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dst + ": " + e.getMessage(), e);
    }
    return new Imported(table, Digests.sha256(bytes));
  }

  /** The target of that name in the spec, or a clear error listing the known ones. */
  public static Spec.TargetSpec target(Spec spec, String name) {
    for (Spec.TargetSpec t : spec.targets()) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    throw new UserInputException(
        "no target \""
            + name
            + "\" in the spec (targets: "
            + String.join(", ", spec.targets().stream().map(Spec.TargetSpec::name).toList())
            + ")");
  }
}
