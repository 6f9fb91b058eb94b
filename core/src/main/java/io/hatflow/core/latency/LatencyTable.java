package io.hatflow.core.latency;

import java.util.ArrayList;
import java.util.List;

/**
 * A latency dataset: rows in file order (row 0 = first line after the header, the indexing {@link
 * Split} uses).
 *
 * @param source where the rows came from (a path, for messages and the predictor's metadata)
 */
public record LatencyTable(String source, List<LatencyRow> rows) {

  public LatencyTable {
    rows = List.copyOf(rows);
  }

  public int size() {
    return rows.size();
  }

  public LatencyRow row(int i) {
    return rows.get(i);
  }

  /** The rows at the given indices, in that order. */
  public List<LatencyRow> select(int[] indices) {
    List<LatencyRow> out = new ArrayList<>(indices.length);
    for (int i : indices) {
      out.add(rows.get(i));
    }
    return out;
  }

  /** Feature matrix of the given rows. */
  public static double[][] features(List<LatencyRow> rows) {
    double[][] x = new double[rows.size()][];
    for (int i = 0; i < x.length; i++) {
      x[i] = rows.get(i).features();
    }
    return x;
  }

  /** {@link LatencyRow#targetMs()} of the given rows. */
  public static double[] targetsMs(List<LatencyRow> rows) {
    double[] y = new double[rows.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = rows.get(i).targetMs();
    }
    return y;
  }
}
