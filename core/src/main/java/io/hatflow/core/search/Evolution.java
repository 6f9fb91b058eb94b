package io.hatflow.core.search;

import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * HAT's evolutionary search ({@code fairseq/evolution.py}) as pure functions: constrained random
 * initial population, elitist top-k parents, per-gene mutation, uniform crossover. Differences from
 * HAT, all for determinism or termination: every draw comes from {@link Rng} keyed by slot;
 * constrained sampling gives up on a slot after {@code maxSampleTries} draws (warning) instead of
 * looping forever; parents are ranked on fitness rounded to {@code fitnessPrecision}, ties broken
 * by canonical key; and a config (canonical key) is at most once among the parents, so duplicates
 * do not crowd out the top-k.
 */
public final class Evolution {
  private Evolution() {}

  /** Whether a config's predicted latency fits the budget. */
  public static boolean feasible(double latencyMs, double budgetMs) {
    return latencyMs <= budgetMs;
  }

  /**
   * The first generation: {@code population} random configs under the budget (HAT's {@code
   * random_sample}).
   */
  public static Population initialPopulation(
      SearchSpace space, SearchConfig cfg, SearchId id, LatencyModel model) {
    List<SubConfig> members = new ArrayList<>();
    int empty = 0;
    for (int slot = 0; slot < cfg.population(); slot++) {
      Random r = Rng.derive(cfg.seed(), 0, id, slot, "init");
      SubConfig got = null;
      for (int t = 0; t < cfg.maxSampleTries() && got == null; t++) {
        SubConfig c = space.sample(r);
        if (feasible(model.predictMs(c), id.budgetMs())) {
          got = c;
        }
      }
      if (got == null) {
        empty++;
      } else {
        members.add(got);
      }
    }
    List<String> warnings = new ArrayList<>();
    if (empty > 0) {
      warnings.add(
          id.name()
              + " generation 0: "
              + empty
              + " of "
              + cfg.population()
              + " initial slots stayed empty: no"
              + " config under "
              + SearchId.budgetText(id.budgetMs())
              + " ms found in "
              + cfg.maxSampleTries()
              + " draws each");
    }
    return new Population(id, 0, members, List.of(), warnings);
  }

  /**
   * HAT's mutation: every position of the gene vector is redrawn from its choices with probability
   * {@code p}.
   */
  public static SubConfig mutate(SubConfig parent, SearchSpace space, double p, Random r) {
    List<List<Integer>> choices = Genome.choices(space);
    List<Integer> v = new ArrayList<>(Genome.encode(parent));
    for (int i = 0; i < v.size(); i++) {
      // Always draw both numbers so the stream position never depends on the outcome.
      double u = r.nextDouble();
      int pick = r.nextInt(choices.get(i).size());
      if (u < p) {
        v.set(i, choices.get(i).get(pick));
      }
    }
    return Genome.decode(v, space);
  }

  /**
   * HAT's uniform crossover: each position from the first or the second parent with probability
   * 1/2.
   */
  public static SubConfig crossover(SubConfig a, SubConfig b, SearchSpace space, Random r) {
    List<Integer> va = Genome.encode(a);
    List<Integer> vb = Genome.encode(b);
    List<Integer> v = new ArrayList<>(va.size());
    for (int i = 0; i < va.size(); i++) {
      v.add(r.nextDouble() < 0.5 ? va.get(i) : vb.get(i));
    }
    return Genome.decode(v, space);
  }

  /**
   * The canonical order of evaluated candidates: rounded fitness, then canonical key, then all
   * genes, then slot.
   */
  public static Comparator<Scored> ranking(double precision) {
    return Comparator.<Scored>comparingLong(s -> rounded(s.fitness(), precision))
        .thenComparing(Scored::key)
        .thenComparing(s -> Genome.fullKey(s.config()))
        .thenComparingInt(Scored::slot);
  }

  /** Fitness on the ranking grid: {@code round(fitness / precision)}; NaN ranks last. */
  public static long rounded(double fitness, double precision) {
    return Double.isNaN(fitness) ? Long.MAX_VALUE : Math.round(fitness / precision);
  }

  /** Elitist top-k of the feasible candidates, one per canonical key, in ranking order. */
  public static List<Scored> selectParents(
      List<Scored> evaluated, double budgetMs, int k, double precision) {
    List<Scored> sorted = new ArrayList<>(evaluated);
    sorted.removeIf(s -> !feasible(s.latencyMs(), budgetMs));
    sorted.sort(ranking(precision));
    List<Scored> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Scored s : sorted) {
      if (out.size() == k) {
        break;
      }
      if (seen.add(s.key())) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * How breeding draws from the selected parents: indices into the parent list, every draw from the
   * slot's own generator. HAT draws uniformly; NSGA-II by binary tournament ({@link
   * Nsga2#TOURNAMENT}).
   */
  public interface Mating {
    /** One parent, for a mutation. */
    int one(Random r, int n);

    /** Two distinct parents, for a crossover ({@code n >= 2}). */
    int[] two(Random r, int n);
  }

  /**
   * HAT's uniform draws: {@code random.choice} for a mutation, {@code random.sample(parents, 2)}
   * for a crossover.
   */
  public static final Mating UNIFORM =
      new Mating() {
        @Override
        public int one(Random r, int n) {
          return r.nextInt(n);
        }

        @Override
        public int[] two(Random r, int n) {
          int i = r.nextInt(n);
          int j = r.nextInt(n - 1);
          return new int[] {i, j >= i ? j + 1 : j};
        }
      };

  /**
   * One step of HAT's loop: parents of the evaluated generation {@code generation}, then the
   * members of generation + 1 (parents, then mutations, then crossovers), each child resampled
   * until the latency model says it fits the budget, at most {@code maxSampleTries} times.
   */
  public static Population nextGeneration(
      List<Scored> evaluated,
      SearchSpace space,
      SearchConfig cfg,
      SearchId id,
      int generation,
      LatencyModel model) {
    List<Scored> parents =
        selectParents(evaluated, id.budgetMs(), cfg.parents(), cfg.fitnessPrecision());
    return breed(parents, UNIFORM, space, cfg, id, generation, model);
  }

  /**
   * Generation + 1 from the selected parents: the parents themselves, then {@code cfg.mutations()}
   * mutations and {@code cfg.crossovers()} crossovers of parents drawn by {@code mating}, each
   * child resampled until the latency model says it fits the budget, at most {@code maxSampleTries}
   * times.
   */
  public static Population breed(
      List<Scored> parents,
      Mating mating,
      SearchSpace space,
      SearchConfig cfg,
      SearchId id,
      int generation,
      LatencyModel model) {
    List<String> warnings = new ArrayList<>();
    List<SubConfig> members = new ArrayList<>();
    if (parents.isEmpty()) {
      warnings.add(
          id.name() + " generation " + generation + ": no feasible candidate to breed from");
      return new Population(id, generation + 1, members, parents, warnings);
    }
    for (Scored p : parents) {
      members.add(p.config());
    }
    int emptyM = 0;
    for (int slot = 0; slot < cfg.mutations(); slot++) {
      Random r = Rng.derive(cfg.seed(), generation, id, slot, "mutation");
      SubConfig got = null;
      for (int t = 0; t < cfg.maxSampleTries() && got == null; t++) {
        SubConfig parent = parents.get(mating.one(r, parents.size())).config();
        SubConfig c = mutate(parent, space, cfg.mutationProb(), r);
        got = feasible(model.predictMs(c), id.budgetMs()) ? c : null;
      }
      if (got == null) {
        emptyM++;
      } else {
        members.add(got);
      }
    }
    int emptyC = 0;
    int crossovers = parents.size() >= 2 ? cfg.crossovers() : 0;
    if (crossovers < cfg.crossovers()) {
      warnings.add(
          id.name() + " generation " + generation + ": only one feasible parent, no crossovers");
    }
    for (int slot = 0; slot < crossovers; slot++) {
      Random r = Rng.derive(cfg.seed(), generation, id, slot, "crossover");
      SubConfig got = null;
      for (int t = 0; t < cfg.maxSampleTries() && got == null; t++) {
        int[] ij = mating.two(r, parents.size());
        SubConfig c = crossover(parents.get(ij[0]).config(), parents.get(ij[1]).config(), space, r);
        got = feasible(model.predictMs(c), id.budgetMs()) ? c : null;
      }
      if (got == null) {
        emptyC++;
      } else {
        members.add(got);
      }
    }
    if (emptyM + emptyC > 0) {
      warnings.add(
          id.name()
              + " generation "
              + generation
              + ": "
              + emptyM
              + " mutation and "
              + emptyC
              + " crossover slots stayed empty after "
              + cfg.maxSampleTries()
              + " draws each");
    }
    return new Population(id, generation + 1, members, parents, warnings);
  }
}
