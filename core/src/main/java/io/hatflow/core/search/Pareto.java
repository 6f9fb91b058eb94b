package io.hatflow.core.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** The Pareto frontier of (validation loss, predicted latency), both minimised. */
public final class Pareto {
  private Pareto() {}

  /** A config's place in the plane for one target. */
  public record Point(String configKey, double fitness, double latencyMs) {}

  /**
   * The points no other point beats on both axes, by increasing latency (decreasing loss). Among
   * equal points the smallest canonical key stays, so the frontier does not depend on input order.
   */
  public static List<Point> frontier(List<Point> points) {
    List<Point> sorted = new ArrayList<>(points);
    sorted.sort(
        Comparator.comparingDouble(Point::latencyMs)
            .thenComparingDouble(Point::fitness)
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

  /** Whether {@code a} is at least as good as {@code b} on both axes and better on one. */
  public static boolean dominates(Point a, Point b) {
    return a.fitness() <= b.fitness()
        && a.latencyMs() <= b.latencyMs()
        && (a.fitness() < b.fitness() || a.latencyMs() < b.latencyMs());
  }

  /**
   * NSGA-II's non-dominated sorting: the indices of {@code points} by front (front 0 is dominated
   * by nothing, front 1 only by front 0, ...), each front in input order. Equal points share a
   * front. Quadratic, which is nothing next to one fitness evaluation per point.
   */
  public static List<List<Integer>> fronts(List<Point> points) {
    int n = points.size();
    int[] dominatedBy = new int[n];
    List<List<Integer>> dominates = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      dominates.add(new ArrayList<>());
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (dominates(points.get(i), points.get(j))) {
          dominates.get(i).add(j);
          dominatedBy[j]++;
        }
      }
    }
    List<List<Integer>> out = new ArrayList<>();
    List<Integer> current = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (dominatedBy[i] == 0) {
        current.add(i);
      }
    }
    while (!current.isEmpty()) {
      out.add(current);
      List<Integer> next = new ArrayList<>();
      for (int i : current) {
        for (int j : dominates.get(i)) {
          if (--dominatedBy[j] == 0) {
            next.add(j);
          }
        }
      }
      next.sort(null); // input order, whatever order the previous front released them in
      current = next;
    }
    return out;
  }

  /**
   * NSGA-II's crowding distance of each point of one front: per objective, the gap between its two
   * neighbours over the objective's range, summed; the extremes of each objective get infinity so
   * they always survive. Ties in an objective keep input order, so the result does not depend on
   * sort stability elsewhere.
   */
  public static double[] crowding(List<Point> front) {
    int n = front.size();
    double[] d = new double[n];
    if (n == 0) {
      return d;
    }
    for (ToDoubleFunction<Point> v :
        List.<ToDoubleFunction<Point>>of(Point::fitness, Point::latencyMs)) {
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        idx.add(i);
      }
      idx.sort(
          Comparator.<Integer>comparingDouble(i -> v.applyAsDouble(front.get(i)))
              .thenComparingInt(i -> i));
      double lo = v.applyAsDouble(front.get(idx.get(0)));
      double hi = v.applyAsDouble(front.get(idx.get(n - 1)));
      d[idx.get(0)] = Double.POSITIVE_INFINITY;
      d[idx.get(n - 1)] = Double.POSITIVE_INFINITY;
      for (int k = 1; k < n - 1 && hi > lo; k++) {
        double gap =
            v.applyAsDouble(front.get(idx.get(k + 1))) - v.applyAsDouble(front.get(idx.get(k - 1)));
        d[idx.get(k)] += gap / (hi - lo);
      }
    }
    return d;
  }
}
