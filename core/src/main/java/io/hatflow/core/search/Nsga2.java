package io.hatflow.core.search;

import io.hatflow.core.space.SearchSpace;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * NSGA-II (Deb et al. 2002) over (validation loss, predicted latency), both minimised, as pure
 * functions on HAT's population layout: the evaluated generation is NSGA-II's combined
 * parents-and-children population, {@link #survivors} (non-dominated sorting, then crowding
 * distance) are the next generation's parents and first members, and the children come from the
 * existing mutation and crossover operators with parents drawn by binary tournament. As in {@link
 * Evolution}, for determinism: losses are compared on the {@code fitnessPrecision} grid, a config
 * (canonical key) is ranked once, and every remaining tie falls to the canonical order (rounded
 * loss, key, genes, slot).
 */
public final class Nsga2 {
  private Nsga2() {}

  /** NSGA-II needs a few members for tournaments and crowding to mean anything. */
  public static final int MIN_POPULATION = 4;

  /** A candidate with its front (0 = non-dominated) and crowding distance within that front. */
  public record Ranked(Scored scored, int rank, double crowding) {}

  /** NSGA-II's crowded comparison: lower front first, then the less crowded (larger distance). */
  static final Comparator<Ranked> CROWDED =
      Comparator.comparingInt(Ranked::rank)
          .thenComparing(Ranked::crowding, Comparator.reverseOrder());

  /**
   * The feasible candidates (latency within {@code budgetMs}), one per canonical key, ranked:
   * sorted by the crowded comparison, ties in canonical order.
   */
  public static List<Ranked> rank(List<Scored> evaluated, double budgetMs, double precision) {
    List<Scored> sorted = new ArrayList<>(evaluated);
    sorted.removeIf(s -> !Evolution.feasible(s.latencyMs(), budgetMs));
    sorted.sort(Evolution.ranking(precision));
    List<Scored> unique = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Scored s : sorted) {
      if (seen.add(s.key())) {
        unique.add(s);
      }
    }
    List<Pareto.Point> points = new ArrayList<>();
    for (Scored s : unique) {
      points.add(
          new Pareto.Point(s.key(), Evolution.rounded(s.fitness(), precision), s.latencyMs()));
    }
    List<Ranked> out = new ArrayList<>();
    List<List<Integer>> fronts = Pareto.fronts(points);
    for (int rank = 0; rank < fronts.size(); rank++) {
      List<Integer> f = fronts.get(rank);
      double[] crowding = Pareto.crowding(f.stream().map(points::get).toList());
      for (int k = 0; k < f.size(); k++) {
        out.add(new Ranked(unique.get(f.get(k)), rank, crowding[k]));
      }
    }
    out.sort(CROWDED.thenComparing(Ranked::scored, Evolution.ranking(precision)));
    return out;
  }

  /**
   * NSGA-II's environmental selection: the first {@code k} ranked candidates (whole fronts, the
   * last one by crowding).
   */
  public static List<Ranked> survivors(
      List<Scored> evaluated, double budgetMs, int k, double precision) {
    List<Ranked> r = rank(evaluated, budgetMs, precision);
    return List.copyOf(r.subList(0, Math.min(k, r.size())));
  }

  /**
   * Binary tournament on a parent list in crowded-comparison order: of two uniform draws the better
   * is the lower index. Crossover's second parent is a tournament among the others.
   */
  public static final Evolution.Mating TOURNAMENT =
      new Evolution.Mating() {
        @Override
        public int one(Random r, int n) {
          return Math.min(r.nextInt(n), r.nextInt(n));
        }

        @Override
        public int[] two(Random r, int n) {
          int i = one(r, n);
          int j = Math.min(r.nextInt(n - 1), r.nextInt(n - 1));
          return new int[] {i, j >= i ? j + 1 : j};
        }
      };

  /**
   * One NSGA-II step: survivors of the evaluated generation, then children bred from them by
   * tournament.
   */
  public static Population nextGeneration(
      List<Scored> evaluated,
      SearchSpace space,
      SearchConfig cfg,
      SearchId id,
      int generation,
      LatencyModel model) {
    List<Scored> parents =
        survivors(evaluated, id.budgetMs(), cfg.parents(), cfg.fitnessPrecision()).stream()
            .map(Ranked::scored)
            .toList();
    return Evolution.breed(parents, TOURNAMENT, space, cfg, id, generation, model);
  }

  /** The non-dominated feasible candidates, one per canonical key, in canonical order. */
  public static List<Scored> front(List<Scored> evaluated, double budgetMs, double precision) {
    List<Scored> out = new ArrayList<>();
    for (Ranked r : rank(evaluated, budgetMs, precision)) {
      if (r.rank() == 0) {
        out.add(r.scored());
      }
    }
    out.sort(Evolution.ranking(precision));
    return out;
  }

  /**
   * Each budget's winner: the front member with the lowest (rounded) loss whose predicted latency
   * fits the budget. A budget below every front member's latency has no entry (as a HAT search that
   * found nothing feasible has no winner). No population member could do better: one with lower
   * loss under the budget would be on the front or dominated by a front member that is.
   */
  public static Map<Double, Scored> winners(
      List<Scored> evaluated, List<Double> budgetsMs, double precision) {
    double widest = budgetsMs.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    List<Scored> front = front(evaluated, widest, precision);
    Map<Double, Scored> out = new TreeMap<>();
    for (double b : budgetsMs) {
      front.stream()
          .filter(s -> Evolution.feasible(s.latencyMs(), b))
          .findFirst()
          .ifPresent(s -> out.put(b, s));
    }
    return out;
  }
}
