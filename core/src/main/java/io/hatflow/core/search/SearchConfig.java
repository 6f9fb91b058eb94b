package io.hatflow.core.search;

import io.hatflow.core.run.UserInputException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * HAT's evolutionary-search settings, built from the spec by {@code SearchStage.config} through
 * {@link #builder()}. The defaults (HAT's: population 125 = 25 parents + 50 mutations + 50
 * crossovers, mutation probability 0.3, 30 generations) live in the spec layer only, so this record
 * has none.
 *
 * @param population candidates per search in the first generation (HAT: population_size)
 * @param parents elitist top-k kept and bred from (HAT: parent_size)
 * @param mutations children by mutation per generation (HAT: mutation_size)
 * @param crossovers children by uniform crossover per generation (HAT: crossover_size)
 * @param mutationProb probability that a mutation resamples each gene (HAT: mutation_prob)
 * @param generations generations evaluated (HAT: evo_iter); the winner is the best of the last one
 * @param seed the spec's seed; every random draw derives from it ({@link Rng})
 * @param fitnessPrecision ranking uses the validation loss rounded to this step (ties: canonical
 *     key); the spec gives it as {@code search.fitness_decimals} (step 10^-decimals)
 * @param maxSampleTries draws per population slot before constrained sampling gives up on the slot
 *     (HAT loops forever; we return a smaller population and a warning)
 * @param mode HAT's search per (target, budget), or one NSGA-II search per target ({@link
 *     SearchMode}); in NSGA-II parents are the survivors kept and bred from, mutations plus
 *     crossovers the children per generation
 * @param hvReference the hypervolume's reference point in normalised objective space (reporting
 *     only: it does not change the search's course)
 */
public record SearchConfig(
    int population,
    int parents,
    int mutations,
    int crossovers,
    double mutationProb,
    int generations,
    long seed,
    double fitnessPrecision,
    int maxSampleTries,
    SearchMode mode,
    Hypervolume.Reference hvReference)
    implements Serializable {

  /** A builder with nothing set: {@link Builder#build()} names every field left unset. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these settings (tests and benches vary one or two). */
  public Builder toBuilder() {
    return builder()
        .population(population)
        .parents(parents)
        .mutations(mutations)
        .crossovers(crossovers)
        .mutationProb(mutationProb)
        .generations(generations)
        .seed(seed)
        .fitnessPrecision(fitnessPrecision)
        .maxSampleTries(maxSampleTries)
        .mode(mode)
        .hvReference(hvReference);
  }

  /**
   * Named setters; no defaults (they belong to the spec). {@link #build()} does not validate:
   * {@link #problems()} is the one check, run by the search before it starts (tests build bad
   * settings on purpose).
   */
  public static final class Builder {
    private Integer population;
    private Integer parents;
    private Integer mutations;
    private Integer crossovers;
    private Double mutationProb;
    private Integer generations;
    private Long seed;
    private Double fitnessPrecision;
    private Integer maxSampleTries;
    private SearchMode mode;
    private Hypervolume.Reference hvReference;

    private Builder() {}

    public Builder population(int v) {
      population = v;
      return this;
    }

    public Builder parents(int v) {
      parents = v;
      return this;
    }

    public Builder mutations(int v) {
      mutations = v;
      return this;
    }

    public Builder crossovers(int v) {
      crossovers = v;
      return this;
    }

    public Builder mutationProb(double v) {
      mutationProb = v;
      return this;
    }

    public Builder generations(int v) {
      generations = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder fitnessPrecision(double v) {
      fitnessPrecision = v;
      return this;
    }

    public Builder maxSampleTries(int v) {
      maxSampleTries = v;
      return this;
    }

    public Builder mode(SearchMode v) {
      mode = v;
      return this;
    }

    public Builder hvReference(Hypervolume.Reference v) {
      hvReference = v;
      return this;
    }

    /**
     * The five sizes at once (population, parents, mutations, crossovers, generations), named by
     * the caller.
     */
    public Builder sizes(
        int population, int parents, int mutations, int crossovers, int generations) {
      return population(population)
          .parents(parents)
          .mutations(mutations)
          .crossovers(crossovers)
          .generations(generations);
    }

    public SearchConfig build() {
      List<String> unset = new ArrayList<>();
      String[] names = {
        "population",
        "parents",
        "mutations",
        "crossovers",
        "mutationProb",
        "generations",
        "seed",
        "fitnessPrecision",
        "maxSampleTries",
        "mode",
        "hvReference"
      };
      Object[] values = {
        population,
        parents,
        mutations,
        crossovers,
        mutationProb,
        generations,
        seed,
        fitnessPrecision,
        maxSampleTries,
        mode,
        hvReference
      };
      for (int i = 0; i < names.length; i++) {
        if (values[i] == null) {
          unset.add(names[i]);
        }
      }
      if (!unset.isEmpty()) {
        throw new IllegalStateException("SearchConfig: not set: " + String.join(", ", unset));
      }
      return new SearchConfig(
          population,
          parents,
          mutations,
          crossovers,
          mutationProb,
          generations,
          seed,
          fitnessPrecision,
          maxSampleTries,
          mode,
          hvReference);
    }
  }

  /**
   * Everything that decides the search's course, as text (names the state directory). In HAT's mode
   * this is the record's text from before modes existed, so a HAT search's state from then still
   * resumes; the hypervolume reference is left out, it only reports.
   */
  public String courseKey() {
    String hat =
        "SearchConfig[population="
            + population
            + ", parents="
            + parents
            + ", mutations="
            + mutations
            + ", crossovers="
            + crossovers
            + ", mutationProb="
            + mutationProb
            + ", generations="
            + generations
            + ", seed="
            + seed
            + ", fitnessPrecision="
            + fitnessPrecision
            + ", maxSampleTries="
            + maxSampleTries
            + "]";
    return mode == SearchMode.HAT ? hat : hat + "|mode=" + mode.specName();
  }

  /** What is wrong with these settings ("field: what"); empty when valid. */
  public List<String> problems() {
    List<String> out = new ArrayList<>();
    if (population < 1) {
      out.add("search.population: expected >= 1, got " + population);
    }
    if (parents < 1) {
      out.add("search.parents: expected >= 1, got " + parents);
    }
    if (population < parents) {
      out.add(
          "search.population ("
              + population
              + ") is smaller than search.parents ("
              + parents
              + ")");
    }
    if (mutations < 0) {
      out.add("search.mutations: expected >= 0, got " + mutations);
    }
    if (crossovers < 0) {
      out.add("search.crossovers: expected >= 0, got " + crossovers);
    }
    if (crossovers > 0 && parents < 2) {
      out.add("search.crossovers needs at least 2 parents, got parents=" + parents);
    }
    if (!(mutationProb >= 0 && mutationProb <= 1)) {
      out.add("search.mutation_prob: expected a probability in [0, 1], got " + mutationProb);
    }
    if (generations < 1) {
      out.add("search.generations: expected >= 1, got " + generations);
    }
    if (!(fitnessPrecision > 0) || Double.isInfinite(fitnessPrecision)) {
      // The record holds the rounding step; the spec key is the number of decimals (step =
      // 10^-decimals).
      out.add(
          "search.fitness_decimals: expected a rounding step 10^-decimals > 0, got "
              + fitnessPrecision);
    }
    if (maxSampleTries < 1) {
      out.add("search.max_sample_tries: expected >= 1, got " + maxSampleTries);
    }
    if (mode == null) {
      out.add("search.mode: expected hat or nsga2, got nothing");
    }
    if (mode == SearchMode.NSGA2 && population < Nsga2.MIN_POPULATION) {
      out.add(
          "search.population: mode nsga2 needs a population of at least "
              + Nsga2.MIN_POPULATION
              + " (tournaments and crowding distances), got "
              + population);
    }
    String ref = hvReference == null ? "search.hv_reference: missing" : hvReference.problem();
    if (ref != null) {
      out.add(ref);
    }
    return out;
  }

  /** Throws {@link UserInputException} naming every problem. */
  public SearchConfig validate() {
    List<String> p = problems();
    if (!p.isEmpty()) {
      throw new UserInputException("bad search settings: " + String.join("; ", p));
    }
    return this;
  }
}
