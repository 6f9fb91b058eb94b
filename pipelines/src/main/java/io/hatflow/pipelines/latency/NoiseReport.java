package io.hatflow.pipelines.latency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.run.UserInputException;
import io.hatflow.pipelines.finalize.Ranking;
import io.hatflow.schemas.LatencyRecord;
import io.hatflow.transforms.latency.LatencyRecords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * What {@code hatflow latency validate --run-dir} prints: per latency file the median trimmed
 * std/mean of its rows (issue target: at most 5%) with the conditions they were taken under, and
 * per finalized winner its measured vs predicted latency (target: within 10%). Pure text from
 * files; nothing is timed.
 */
public final class NoiseReport {
  private NoiseReport() {}

  /** Stability lines of one latency file: an Avro file of the latency stage, or any HAT CSV. */
  public static String latency(Path file) {
    String name = file.getFileName().toString();
    if (!Files.isRegularFile(file)) {
      throw new UserInputException("no such latency file: " + file);
    }
    if (name.endsWith(".avro")) {
      List<LatencyRecord> rs = LatencyPipeline.readAvro(file);
      if (rs.isEmpty()) {
        throw new UserInputException(file + ": no latency rows");
      }
      return name.replaceFirst("\\.avro$", "")
          + ": "
          + LatencyRecords.stability(rs).describe()
          + "\n  "
          + conditions(rs);
    }
    return name.replaceFirst("\\.csv$", "")
        + ": "
        + LatencyRecords.stabilityOfRows(LatencyCsv.read(file).rows()).describe()
        + " (CSV: no conditions recorded)";
  }

  /**
   * Runs used, the CI half-width, affinity, governor, load: medians and the distinct values seen.
   */
  static String conditions(List<LatencyRecord> rs) {
    double[] runs = rs.stream().mapToDouble(LatencyRecords::runsUsedOf).toArray();
    double[] ci =
        rs.stream()
            .filter(r -> r.getCiHalfWidthPct() != null)
            .mapToDouble(LatencyRecord::getCiHalfWidthPct)
            .toArray();
    double[] load =
        rs.stream()
            .filter(r -> r.getLoadBefore() != null)
            .mapToDouble(LatencyRecord::getLoadBefore)
            .toArray();
    double[] others =
        rs.stream()
            .filter(r -> r.getOthersCpu() != null)
            .mapToDouble(LatencyRecord::getOthersCpu)
            .toArray();
    double[] steal =
        rs.stream()
            .filter(r -> r.getStealPct() != null)
            .mapToDouble(LatencyRecord::getStealPct)
            .toArray();
    long loaded = rs.stream().filter(LatencyRecord::getUnderLoad).count();
    TreeSet<String> aff = new TreeSet<>();
    TreeSet<String> gov = new TreeSet<>();
    rs.forEach(
        r -> {
          aff.add(r.getAffinity().toString());
          gov.add(r.getGovernor().toString());
        });
    return String.format(
        Locale.ROOT,
        "median runs %.0f (of %d..%d), median 95%% CI half-width %s, affinity %s, "
            + "governor %s, median load before %s, other processes %s cores, steal %s, %d of %d rows under load",
        LatencyRecords.median(runs),
        rs.get(0).getRuns(),
        LatencyRecords.maxRunsOf(rs.get(0)),
        ci.length == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f%%", LatencyRecords.median(ci)),
        String.join("/", aff),
        String.join("/", gov),
        load.length == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", LatencyRecords.median(load)),
        others.length == 0
            ? "n/a"
            : String.format(Locale.ROOT, "%.2f", LatencyRecords.median(others)),
        steal.length == 0
            ? "n/a"
            : String.format(Locale.ROOT, "%.1f%%", LatencyRecords.median(steal)),
        loaded,
        rs.size());
  }

  /**
   * Measured vs predicted latency of each finalized winner in a finalize results.json, per target.
   */
  public static String finalized(Path resultsJson) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(resultsJson.toFile());
    } catch (IOException e) {
      throw new UserInputException(
          resultsJson + ": not readable finalize results: " + e.getMessage(), e);
    }
    List<String> lines = new ArrayList<>();
    for (JsonNode r : root.path("results")) {
      if (!"winner".equals(r.path("kind").asText("winner"))) {
        continue;
      }
      JsonNode pred = r.path("predicted_ms");
      JsonNode meas = r.path("measured_ms");
      meas.fieldNames()
          .forEachRemaining(
              t -> {
                if (pred.has(t)) {
                  double p = pred.get(t).asDouble();
                  double m = meas.get(t).asDouble();
                  double err = Ranking.errorPct(p, m);
                  lines.add(
                      String.format(
                          Locale.ROOT,
                          "  %s on %s: measured %.3f ms, predicted %.3f ms, error %+.1f%% (%s)",
                          r.path("name").asText(),
                          t,
                          m,
                          p,
                          err,
                          Math.abs(err) <= 10 ? "within 10%" : "OFF by more than 10%"));
                }
              });
    }
    return lines.isEmpty()
        ? resultsJson + ": no finalized winner with both a measured and a predicted latency"
        : "finalized winners (" + resultsJson + "):\n" + String.join("\n", lines);
  }
}
