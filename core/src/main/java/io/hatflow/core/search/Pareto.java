package io.hatflow.core.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The Pareto frontier of (validation loss, predicted latency), both minimised. */
public final class Pareto {
  private Pareto() {}

  /** A config's place in the plane for one target. */
  public record Point(String configKey, double fitness, double latencyMs) {}

  /**
   * The points no other point beats on both axes, by increasing latency (decreasing loss). Among equal
   * points the smallest canonical key stays, so the frontier does not depend on input order.
   */
  public static List<Point> frontier(List<Point> points) {
    List<Point> sorted = new ArrayList<>(points);
    sorted.sort(Comparator.comparingDouble(Point::latencyMs).thenComparingDouble(Point::fitness)
        .thenComparing(Point::configKey));
    List<Point> out = new ArrayList<>();
    double best = Double.POSITIVE_INFINITY;
    for (Point p : sorted) {
      if (p.fitness() < best) {
        out.add(p);
        best = p.fitness();
      }
    }
    return out;
  }
}
