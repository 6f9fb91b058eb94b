package io.hatflow.transforms.search;

import io.hatflow.core.search.Evolution;
import io.hatflow.core.search.Genome;
import io.hatflow.core.search.HatJson;
import io.hatflow.core.search.LatencyModel;
import io.hatflow.core.search.Nsga2;
import io.hatflow.core.search.Population;
import io.hatflow.core.search.Scored;
import io.hatflow.core.search.SearchConfig;
import io.hatflow.core.search.SearchId;
import io.hatflow.core.search.SearchMode;
import io.hatflow.core.search.SpaceSpec;
import io.hatflow.core.search.TargetBudgets;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.schemas.GenerationStats;
import io.hatflow.schemas.ScoredCandidate;
import io.hatflow.schemas.SearchCandidate;
import io.hatflow.schemas.Winner;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The per-search reduction of one generation: group the scored candidates by (target, budget), sort
 * them canonically (by slot: never by arrival order, which differs between runners), keep the
 * feasible, pick the parents and breed the next generation; after the last generation emit the
 * winner instead. In {@link SearchMode#NSGA2} a target has one search (budget: its largest),
 * parents are NSGA-II's survivors, and the last generation emits a winner per budget, picked from
 * the front. Outputs: {@link #NEXT} (next generation's candidates), {@link #STATS}, {@link
 * #WINNERS}.
 */
public class BreedNextGeneration
    extends PTransform<PCollection<ScoredCandidate>, PCollectionTuple> {
  public static final TupleTag<SearchCandidate> NEXT = new TupleTag<>() {};
  public static final TupleTag<GenerationStats> STATS = new TupleTag<>() {};
  public static final TupleTag<Winner> WINNERS = new TupleTag<>() {};

  /**
   * @param last whether this is the last generation: emit winners, breed nothing
   */
  public record Settings(
      int generation,
      boolean last,
      SearchConfig search,
      SpaceSpec space,
      List<TargetBudgets> targets)
      implements Serializable {
    public Settings {
      targets = List.copyOf(targets);
    }
  }

  private final Settings s;

  public BreedNextGeneration(Settings s) {
    this.s = s;
  }

  @Override
  public PCollectionTuple expand(PCollection<ScoredCandidate> scored) {
    PCollectionTuple out =
        scored
            .apply(
                "KeyBySearch",
                MapElements.into(
                        TypeDescriptors.kvs(
                            TypeDescriptors.strings(), TypeDescriptor.of(ScoredCandidate.class)))
                    .via(
                        (ScoredCandidate c) ->
                            KV.of(new SearchId(c.getTarget(), c.getBudgetMs()).name(), c)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), AvroCoder.specific(ScoredCandidate.class)))
            .apply("GroupBySearch", GroupByKey.create())
            .apply(
                "SelectAndBreed",
                ParDo.of(new BreedFn(s)).withOutputTags(NEXT, TupleTagList.of(STATS).and(WINNERS)));
    out.get(NEXT).setCoder(AvroCoder.specific(SearchCandidate.class));
    out.get(STATS).setCoder(AvroCoder.specific(GenerationStats.class));
    out.get(WINNERS).setCoder(AvroCoder.specific(Winner.class));
    return out;
  }

  /**
   * What one search's reduction produces: winners only after the last generation (HAT: one;
   * NSGA-II: one per budget that a front member fits).
   */
  public record Outcome(List<SearchCandidate> next, GenerationStats stats, List<Winner> winners) {}

  /**
   * The reduction as a pure function: candidates in any order in, the same outcome out. {@code
   * models} maps every target name to its latency model.
   */
  public static Outcome breed(
      Iterable<ScoredCandidate> group,
      Settings s,
      SearchSpace space,
      Map<String, LatencyModel> models) {
    List<ScoredCandidate> sorted = new ArrayList<>();
    group.forEach(sorted::add);
    sorted.sort(Comparator.comparingInt(ScoredCandidate::getSlot));
    ScoredCandidate first = sorted.get(0);
    SearchId id = new SearchId(first.getTarget(), first.getBudgetMs());
    List<Scored> scored = new ArrayList<>();
    for (ScoredCandidate c : sorted) {
      scored.add(
          new Scored(
              c.getSlot(), Genome.decode(c.getGenes(), space), c.getFitness(), c.getPredictedMs()));
    }
    List<Scored> feasible =
        scored.stream().filter(x -> Evolution.feasible(x.latencyMs(), id.budgetMs())).toList();
    LatencyModel model = models.get(id.target());
    SearchConfig cfg = s.search();
    boolean nsga2 = cfg.mode() == SearchMode.NSGA2;
    Population next =
        s.last()
            ? new Population(id, s.generation() + 1, List.of(), List.of(), List.of())
            : nsga2
                ? Nsga2.nextGeneration(scored, space, cfg, id, s.generation(), model)
                : Evolution.nextGeneration(scored, space, cfg, id, s.generation(), model);
    List<String> warnings = new ArrayList<>(next.warnings());
    if (feasible.size() < scored.size()) {
      warnings.add(
          id.name()
              + " generation "
              + s.generation()
              + ": "
              + (scored.size() - feasible.size())
              + " candidates over budget were dropped");
    }

    List<SearchCandidate> members = new ArrayList<>();
    if (!s.last()) {
      for (int slot = 0; slot < next.members().size(); slot++) {
        members.add(
            new SearchCandidate(
                id.target(),
                id.budgetMs(),
                s.generation() + 1,
                slot,
                Genome.encode(next.members().get(slot))));
      }
    }
    // The lowest-loss feasible candidate in canonical order (HAT's first parent), in both modes.
    List<Scored> top = Evolution.selectParents(scored, id.budgetMs(), 1, cfg.fitnessPrecision());
    Scored best = top.isEmpty() ? null : top.get(0);
    double mean = feasible.stream().mapToDouble(Scored::fitness).average().orElse(Double.NaN);
    GenerationStats stats =
        new GenerationStats(
            s.generation(),
            id.target(),
            id.budgetMs(),
            scored.size(),
            feasible.size(),
            best == null ? Double.NaN : best.fitness(),
            mean,
            best == null ? "" : best.key(),
            best == null ? Double.NaN : best.latencyMs(),
            members.size(),
            warnings,
            null);
    List<Winner> winners = new ArrayList<>();
    if (s.last() && nsga2) {
      Nsga2.winners(scored, budgets(s, id.target()), cfg.fitnessPrecision())
          .forEach((b, w) -> winners.add(winner(new SearchId(id.target(), b), w, space, models)));
    } else if (s.last() && best != null) {
      winners.add(winner(id, best, space, models));
    }
    return new Outcome(members, stats, winners);
  }

  private static List<Double> budgets(Settings s, String target) {
    return s.targets().stream()
        .filter(t -> t.name().equals(target))
        .findFirst()
        .orElseThrow()
        .budgetsMs();
  }

  private static Winner winner(
      SearchId id, Scored best, SearchSpace space, Map<String, LatencyModel> models) {
    Map<String, Double> ms = new TreeMap<>();
    models.forEach((name, m) -> ms.put(name, m.predictMs(best.config())));
    SubConfig active = best.config().active();
    // FLOPs for HAT's latency input: a 30-token sentence each way (23 for IWSLT-like spaces).
    int tokens = space.dummyTokens();
    return new Winner(
        id.target(),
        id.budgetMs(),
        best.key(),
        HatJson.write(active),
        Genome.encode(best.config()),
        best.fitness(),
        ms,
        io.hatflow.core.space.Complexity.params(active, space.qkvDim()),
        io.hatflow.core.space.Complexity.flops(active, space.qkvDim(), tokens, tokens));
  }

  static class BreedFn extends DoFn<KV<String, Iterable<ScoredCandidate>>, SearchCandidate> {
    private final Settings s;
    private transient SearchSpace space;
    private transient Map<String, LatencyModel> models;

    BreedFn(Settings s) {
      this.s = s;
    }

    @Setup
    public void setup() {
      space = s.space().toSpace();
      models = new LinkedHashMap<>();
      for (TargetBudgets t : s.targets()) {
        models.put(t.name(), t.latency().open());
      }
    }

    @ProcessElement
    public void process(
        @Element KV<String, Iterable<ScoredCandidate>> kv, MultiOutputReceiver out) {
      Outcome o = breed(kv.getValue(), s, space, models);
      o.next().forEach(out.get(NEXT)::output);
      out.get(STATS).output(o.stats());
      o.winners().forEach(out.get(WINNERS)::output);
    }
  }
}
