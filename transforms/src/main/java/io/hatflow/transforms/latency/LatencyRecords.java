package io.hatflow.transforms.latency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hatflow.core.latency.LatencyRow;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.schemas.LatencyRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** Pure helpers around {@link LatencyRecord}: gene JSON, sampling, environments, stability. */
public final class LatencyRecords {
  private LatencyRecords() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  public static String genesJson(SubConfig c) {
    try {
      return JSON.writeValueAsString(c.toHatMap());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @SuppressWarnings("unchecked")
  public static SubConfig fromGenesJson(String json) {
    try {
      return SubConfig.fromHatMap(JSON.readValue(json, Map.class));
    } catch (JsonProcessingException e) {
      throw new UserInputException("not a gene map: " + json + ": " + e.getOriginalMessage(), e);
    }
  }

  /** The record as a row of HAT's latency CSV. */
  public static LatencyRow toRow(LatencyRecord r) {
    double[] f = r.getFeatures().stream().mapToDouble(Double::doubleValue).toArray();
    return new LatencyRow(
        f, r.getMeanEncoderMs(), r.getMeanDecoderMs(), r.getStdEncoderMs(), r.getStdDecoderMs());
  }

  /** Rows in canonical order (by config key), as the CSV lists them. */
  public static List<LatencyRow> rows(Collection<LatencyRecord> records) {
    return sorted(records).stream().map(LatencyRecords::toRow).toList();
  }

  public static List<LatencyRecord> sorted(Collection<LatencyRecord> records) {
    List<LatencyRecord> out = new ArrayList<>(records);
    out.sort(java.util.Comparator.comparing(LatencyRecord::getConfigKey));
    return out;
  }

  /**
   * What must match for an earlier timing to stand in for a new one: same CPU model, thread count,
   * DJL and PyTorch versions (and the protocol's runs, max runs, tokens and beam). A row of the
   * fixed protocol (written before max_runs existed) stands in only for a fixed protocol of the
   * same runs.
   */
  public record Environment(
      String cpuModel,
      int threads,
      String djlVersion,
      String pytorchVersion,
      int runs,
      int srcTokens,
      int beam,
      String engine,
      int maxRuns) {
    public static Environment current(MeasureSettings s) {
      return new Environment(
          io.hatflow.core.run.Host.cpuModel(),
          s.threads(),
          ai.djl.engine.Engine.getDjlVersion(),
          ai.djl.engine.Engine.getEngine("PyTorch").getVersion(),
          s.runs(),
          s.tokens(),
          s.beam(),
          s.engine(),
          s.maxRuns());
    }

    /**
     * Rows timed here under the same settings and engine (a row of another engine is never reused).
     */
    public boolean matches(LatencyRecord r) {
      return cpuModel.equals(r.getCpuModel())
          && threads == r.getThreads()
          && djlVersion.equals(r.getDjlVersion())
          && pytorchVersion.equals(r.getPytorchVersion())
          && runs == r.getRuns()
          && srcTokens == r.getSrcTokens()
          && beam == r.getBeam()
          && engine.equals(r.getEngine())
          && maxRuns == maxRunsOf(r);
    }
  }

  /** A row's most timed runs; files written before the field existed timed exactly {@code runs}. */
  public static int maxRunsOf(LatencyRecord r) {
    return r.getMaxRuns() > 0 ? r.getMaxRuns() : r.getRuns();
  }

  /**
   * A row's timed runs actually taken; files written before the field existed timed exactly {@code
   * runs}.
   */
  public static int runsUsedOf(LatencyRecord r) {
    return r.getRunsUsed() > 0 ? r.getRunsUsed() : r.getRuns();
  }

  /** A seed from the spec seed and a name (a target), the same on every JVM. */
  public static long seedOf(long seed, String name) {
    return Long.parseUnsignedLong(Digests.sha256(seed + ":" + name).substring(0, 15), 16);
  }

  /**
   * {@code n} distinct configs (by {@link SubConfig#key()}) of {@code space}: the smallest and the
   * largest first (unless excluded), then seeded uniform draws, skipping keys in {@code exclude}.
   * Fewer when the space runs out.
   */
  public static List<SubConfig> sample(SearchSpace space, int n, long seed, Set<String> exclude) {
    Map<String, SubConfig> out = new LinkedHashMap<>();
    for (SubConfig c : List.of(space.smallest(), space.largest())) {
      if (out.size() < n && !exclude.contains(c.key())) {
        out.putIfAbsent(c.key(), c.active());
      }
    }
    Random rnd = new Random(seed);
    long tries = 0;
    long maxTries = 1000L * n + 10_000;
    while (out.size() < n && tries++ < maxTries) {
      SubConfig c = space.sample(rnd).active();
      if (!exclude.contains(c.key())) {
        out.putIfAbsent(c.key(), c);
      }
    }
    return new ArrayList<>(out.values());
  }

  /**
   * Median over rows of a trimmed std / mean ratio: encoder, decoder, and (std_e + std_d) / (mean_e
   * + mean_d).
   */
  public record Stability(
      int rows, double medianEncoder, double medianDecoder, double medianTotal) {
    public String describe() {
      return String.format(
          java.util.Locale.ROOT,
          "stability over %d rows: median trimmed std/mean encoder %.2f%%, decoder %.2f%%, total %.2f%%",
          rows,
          100 * medianEncoder,
          100 * medianDecoder,
          100 * medianTotal);
    }
  }

  public static Stability stability(Collection<LatencyRecord> records) {
    // not through toRow: a record's features need not be complete for its timing figures to count
    return stability(
        records.stream()
            .map(
                r ->
                    new double[] {
                      r.getMeanEncoderMs(),
                      r.getMeanDecoderMs(),
                      r.getStdEncoderMs(),
                      r.getStdDecoderMs()
                    })
            .toList());
  }

  /** The same over rows of a HAT CSV (their std columns). */
  public static Stability stabilityOfRows(Collection<LatencyRow> rows) {
    return stability(
        rows.stream()
            .map(
                r ->
                    new double[] {
                      r.meanEncoderMs(), r.meanDecoderMs(), r.stdEncoderMs(), r.stdDecoderMs()
                    })
            .toList());
  }

  /** Over rows of {mean encoder, mean decoder, std encoder, std decoder}. */
  private static Stability stability(List<double[]> rows) {
    int n = rows.size();
    double[] e = new double[n];
    double[] d = new double[n];
    double[] t = new double[n];
    int i = 0;
    for (double[] r : rows) {
      e[i] = ratio(r[2], r[0]);
      d[i] = ratio(r[3], r[1]);
      t[i] = ratio(r[2] + r[3], r[0] + r[1]);
      i++;
    }
    return new Stability(n, median(e), median(d), median(t));
  }

  private static double ratio(double std, double mean) {
    return mean > 0 ? std / mean : 0;
  }

  public static double median(double[] xs) {
    if (xs.length == 0) {
      return Double.NaN;
    }
    double[] s = xs.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
}
