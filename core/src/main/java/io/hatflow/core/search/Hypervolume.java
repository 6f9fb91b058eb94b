package io.hatflow.core.search;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Hypervolume of a set of (validation loss, predicted latency) points, both minimised, on
 * objectives normalised to [0, 1] by bounds fixed at the start of a search, so that generations
 * (and the two search modes, given the same bounds) compare on one scale. The value is the area of
 * the normalised plane that the points dominate and that dominates the reference point; points
 * beyond the reference add nothing.
 */
public final class Hypervolume {
  private Hypervolume() {}

  /** The reference point in normalised space, (loss, latency). */
  public record Reference(double loss, double latency) implements Serializable {
    public static final Reference DEFAULT = new Reference(1.1, 1.1);

    /**
     * What is wrong with it, or null. Every point inside the bounds has normalised coordinates in
     * [0, 1], so a reference with a coordinate at or below 1 is not dominated by all of them:
     * points on the boundary (generation 0's worst loss, the space's slowest config) would count
     * for nothing.
     */
    public String problem() {
      if (!(loss > 1) || !(latency > 1) || Double.isInfinite(loss) || Double.isInfinite(latency)) {
        return "search.hv_reference: ["
            + loss
            + ", "
            + latency
            + "] does not dominate the normalised objective"
            + " box [0, 1] x [0, 1]: both coordinates (loss, latency) must be finite and > 1, e.g. [1.1, 1.1]";
      }
      return null;
    }
  }

  /**
   * Normalisation bounds: loss in [lossMin, lossMax], latency in [latencyMin, latencyMax] map to
   * [0, 1]. A zero-width range maps by its offset alone (scale 1), so one-point bounds do not
   * divide by zero.
   */
  public record Bounds(double lossMin, double lossMax, double latencyMin, double latencyMax)
      implements Serializable {
    public double loss(double v) {
      return scale(v, lossMin, lossMax);
    }

    public double latency(double v) {
      return scale(v, latencyMin, latencyMax);
    }

    private static double scale(double v, double lo, double hi) {
      return hi > lo ? (v - lo) / (hi - lo) : v - lo;
    }
  }

  /**
   * The loss bounds of a search: the finite losses of its first generation, min and max (NaN if
   * none).
   */
  public static double[] lossRange(Iterable<Double> losses) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double v : losses) {
      if (Double.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    return lo > hi ? new double[] {Double.NaN, Double.NaN} : new double[] {lo, hi};
  }

  /** The hypervolume of raw (loss, latency) points under {@code bounds} and {@code ref}. */
  public static double of(List<Pareto.Point> points, Bounds bounds, Reference ref) {
    List<double[]> n = new ArrayList<>(points.size());
    for (Pareto.Point p : points) {
      n.add(new double[] {bounds.loss(p.fitness()), bounds.latency(p.latencyMs())});
    }
    return of2d(n, ref.loss(), ref.latency());
  }

  /**
   * Exact 2-D hypervolume by one sweep: points by increasing first coordinate, each one that
   * improves the best second coordinate so far adds the strip between the two, out to the
   * reference's first coordinate. Points that do not strictly dominate the reference, and NaNs, add
   * nothing.
   */
  public static double of2d(List<double[]> points, double refX, double refY) {
    List<double[]> in = new ArrayList<>();
    for (double[] p : points) {
      if (p[0] < refX && p[1] < refY) {
        in.add(p);
      }
    }
    in.sort(Comparator.<double[]>comparingDouble(p -> p[0]).thenComparingDouble(p -> p[1]));
    double area = 0;
    double bestY = refY;
    for (double[] p : in) {
      if (p[1] < bestY) {
        area += (refX - p[0]) * (bestY - p[1]);
        bestY = p[1];
      }
    }
    return area;
  }
}
