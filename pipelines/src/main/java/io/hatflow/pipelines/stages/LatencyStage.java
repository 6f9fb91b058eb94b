package io.hatflow.pipelines.stages;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.run.AtomicFiles;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.Manifest;
import io.hatflow.core.spec.Spec;
import io.hatflow.pipelines.latency.LatencyPipeline;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * latency: for every spec target, HAT's latency dataset in {@code latency/<target>.csv}: measured here by HAT's
 * protocol (plus {@code <target>.avro} with host and versions; resumable) or imported from a HAT CSV (validated,
 * then copied). Needs no data, so it has no upstream.
 */
public final class LatencyStage implements Stage {
  public static final String NAME = "latency";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> upstream() {
    return List.of();
  }

  @Override
  public String specSection(StageContext ctx) {
    Spec s = ctx.spec();
    StringBuilder b = new StringBuilder();
    b.append("space=").append(s.model().space()).append(";vocab=").append(s.data().vocabSize());
    for (Spec.TargetSpec t : s.targets()) {
      b.append(";target=").append(t.name()).append(':').append(t.latency());
      String d = t.latency().dataset();
      if (d != null && !d.contains("://") && Files.exists(Path.of(d))) {
        b.append(":sha256=").append(Digests.sha256(Path.of(d)));
      }
    }
    return b.toString();
  }

  @Override
  public void run(StageContext ctx) {
    Path out = ctx.out(NAME);
    ObjectNode rec = ctx.record();
    ObjectNode counts = rec.putObject("counts");
    Path runDir = ctx.runDir().dir();
    for (Spec.TargetSpec t : ctx.spec().targets()) {
      ObjectNode c = counts.putObject(t.name());
      if (t.latency().measured()) {
        LatencyPipeline.Result r = measure(ctx.spec(), t, out, ctx.options(), ctx.log());
        c.put("rows", r.rows());
        c.put("measured", r.measured());
        c.put("reused", r.reused());
        c.put("median_std_over_mean_total", r.stability().medianTotal());
        Manifest.addArtifact(rec, "outputs", t.name() + ".csv", r.csv(), runDir);
        Manifest.addArtifact(rec, "outputs", t.name() + ".avro", r.avro(), runDir);
      } else {
        Path src = Path.of(t.latency().dataset());
        Path dst = LatencyPipeline.csvPath(out, t.name());
        LatencyTable table = importCsv(src, dst);
        c.put("rows", table.size());
        Manifest.addArtifact(rec, "inputs", t.name(), src, runDir);
        Manifest.addArtifact(rec, "outputs", t.name() + ".csv", dst, runDir);
        ctx.log().printf("[latency] %s: imported %d rows from %s%n", t.name(), table.size(), src);
      }
    }
  }

  /** Measures one spec target into {@code out} (resuming from rows already there). */
  public static LatencyPipeline.Result measure(Spec spec, Spec.TargetSpec t, Path out, PipelineOptions options,
      PrintStream log) {
    return LatencyPipeline.run(LatencyPipeline.job(spec, t), out, options, log);
  }

  /** Validates a HAT CSV ({@link LatencyCsv#read}: file:line and column on bad input), then copies it atomically. */
  public static LatencyTable importCsv(Path src, Path dst) {
    if (!Files.isRegularFile(src)) {
      throw new IllegalArgumentException(src + ": no such latency dataset");
    }
    LatencyTable table = LatencyCsv.read(src);
    try {
      Files.createDirectories(dst.toAbsolutePath().getParent());
      AtomicFiles.write(dst, Files.readAllBytes(src));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + src + " to " + dst + ": " + e.getMessage(), e);
    }
    return table;
  }

  /** The target of that name in the spec, or a clear error listing the known ones. */
  public static Spec.TargetSpec target(Spec spec, String name) {
    for (Spec.TargetSpec t : spec.targets()) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("no target \"" + name + "\" in the spec (targets: "
        + String.join(", ", spec.targets().stream().map(Spec.TargetSpec::name).toList()) + ")");
  }
}
