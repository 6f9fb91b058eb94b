package io.hatflow.transforms.search;

import io.hatflow.core.search.Fitness;
import io.hatflow.core.search.FitnessFactory;
import io.hatflow.core.search.Genome;
import io.hatflow.core.search.HatJson;
import io.hatflow.core.search.LatencyModel;
import io.hatflow.core.search.TargetBudgets;
import io.hatflow.core.space.SubConfig;
import io.hatflow.schemas.Evaluation;
import io.hatflow.schemas.ScoredCandidate;
import io.hatflow.schemas.SearchCandidate;
import io.hatflow.schemas.StoredFitness;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * The fan-out of one generation: the candidates of ALL searches are keyed by a shard of their
 * canonical config key and spread over the workers in one shuffle; each shard (all candidates of
 * its configs, whatever search they belong to) looks its distinct configs up in the evaluation
 * store, evaluates the misses once each with the worker's one {@link Fitness}, predicts every
 * distinct config's latency on every target, and joins the results back to each candidate.
 *
 * <p>Why shards of the key instead of Distinct → Reshuffle → CoGroupByKey on the key itself: same
 * semantics (a config's candidates all land in one shard, so it is evaluated exactly once), one
 * shuffle instead of three, and a bounded number of groups. The DirectRunner pays ~10-20 ms per key
 * group (a bundle each), which made a HAT-sized generation (≈1,000 distinct configs) cost 40-60 s
 * there before.
 *
 * <p>Outputs: {@link #SCORED} (every candidate with its fitness and its own target's latency),
 * {@link #EVALUATIONS} (one per distinct config), {@link #NEW_FITNESS} (entries to append to the
 * store).
 */
public class EvaluateCandidates extends PTransform<PCollection<SearchCandidate>, PCollectionTuple> {
  public static final TupleTag<ScoredCandidate> SCORED = new TupleTag<>() {};
  public static final TupleTag<Evaluation> EVALUATIONS = new TupleTag<>() {};
  public static final TupleTag<StoredFitness> NEW_FITNESS = new TupleTag<>() {};

  /**
   * @param generation the generation being evaluated (recorded in the evaluations)
   * @param encoderLayers SuperTransformer encoder layers (gene vector shape)
   * @param decoderLayers SuperTransformer decoder layers
   * @param fitness opens the fitness evaluator, once per worker
   * @param targets every target, for latency predictions
   * @param checkpointDigest the SuperTransformer checkpoint the fitness belongs to: the store's key
   * @param shards groups the configs are spread over; several times the parallelism balances load
   * @param optionalGenes which of Primer's optional genes the space has ({@link
   *     Genome#optionalGenes})
   */
  public record Settings(
      int generation,
      int encoderLayers,
      int decoderLayers,
      FitnessFactory fitness,
      List<TargetBudgets> targets,
      String checkpointDigest,
      int shards,
      List<Boolean> optionalGenes)
      implements Serializable {
    public Settings(
        int generation,
        int encoderLayers,
        int decoderLayers,
        FitnessFactory fitness,
        List<TargetBudgets> targets,
        String checkpointDigest,
        int shards) {
      this(
          generation,
          encoderLayers,
          decoderLayers,
          fitness,
          targets,
          checkpointDigest,
          shards,
          List.of());
    }

    public Settings {
      targets = List.copyOf(targets);
      optionalGenes = List.copyOf(optionalGenes);
      if (shards < 1) {
        throw new IllegalArgumentException("shards: expected >= 1, got " + shards);
      }
    }
  }

  private final Settings s;
  private final PCollectionView<Iterable<StoredFitness>> store;

  /**
   * @param store the fitness values already known for this checkpoint ({@link #readStore} and
   *     earlier generations)
   */
  public EvaluateCandidates(Settings s, PCollectionView<Iterable<StoredFitness>> store) {
    this.s = s;
    this.store = store;
  }

  /** The evaluation store's entries for one checkpoint; no files yet is an empty store. */
  /** The entries of the given store files (the client verified them) made on this checkpoint. */
  public static PCollection<StoredFitness> readStore(
      Pipeline p, List<String> files, String checkpointDigest) {
    // File names, not FileIO's matches, cross the runner: a match holds a ResourceId, which Flink
    // decodes in its
    // sort threads before any DoFn has registered hdfs:// with Beam ("No filesystem found for
    // scheme hdfs").
    return p.apply("StoreFiles", Create.of(files).withCoder(StringUtf8Coder.of()))
        .apply("ReadEvaluationStore", ParDo.of(new ReadStoreFileFn()))
        .setCoder(AvroCoder.specific(StoredFitness.class))
        .apply(
            "SameCheckpoint",
            Filter.by((StoredFitness f) -> f.getCheckpointDigest().equals(checkpointDigest)))
        // The same coder as the fitness this job computes: Flink flattens only equal coders.
        .setCoder(AvroCoder.specific(StoredFitness.class));
  }

  @Override
  public PCollectionTuple expand(PCollection<SearchCandidate> candidates) {
    PCollectionTuple out =
        candidates
            .apply("KeyByConfigShard", ParDo.of(new ShardFn(s)))
            .setCoder(KvCoder.of(VarIntCoder.of(), AvroCoder.specific(SearchCandidate.class)))
            .apply("SpreadOverWorkers", GroupByKey.create())
            .apply(
                "EvaluateDistinctConfigs",
                ParDo.of(new EvaluateShardFn(s, store))
                    .withSideInputs(store)
                    .withOutputTags(SCORED, TupleTagList.of(EVALUATIONS).and(NEW_FITNESS)));
    out.get(SCORED).setCoder(AvroCoder.specific(ScoredCandidate.class));
    out.get(EVALUATIONS).setCoder(AvroCoder.specific(Evaluation.class));
    out.get(NEW_FITNESS).setCoder(AvroCoder.specific(StoredFitness.class));
    return out;
  }

  /** The entries of one store file, opened through Beam's FileSystems on the worker. */
  static class ReadStoreFileFn extends DoFn<String, StoredFitness> {
    @ProcessElement
    public void process(@Element String uri, OutputReceiver<StoredFitness> out)
        throws java.io.IOException {
      try (java.io.InputStream in =
              java.nio.channels.Channels.newInputStream(
                  FileSystems.open(FileSystems.matchSingleFileSpec(uri).resourceId()));
          DataFileStream<StoredFitness> r =
              new DataFileStream<>(in, new SpecificDatumReader<>(StoredFitness.class))) {
        for (StoredFitness f : r) {
          out.output(f);
        }
      }
    }
  }

  /** The shard of a config key: stable across JVMs ({@link String#hashCode} is specified). */
  public static int shardOf(String configKey, int shards) {
    return Math.floorMod(configKey.hashCode(), shards);
  }

  static class ShardFn extends DoFn<SearchCandidate, KV<Integer, SearchCandidate>> {
    private final Settings s;

    ShardFn(Settings s) {
      this.s = s;
    }

    @ProcessElement
    public void process(
        @Element SearchCandidate c, OutputReceiver<KV<Integer, SearchCandidate>> out) {
      String key =
          Genome.decode(
                  c.getGenes(), s.encoderLayers(), s.decoderLayers(), flags(s.optionalGenes()))
              .key();
      out.output(KV.of(shardOf(key, s.shards()), c));
    }
  }

  /** What one shard produces. */
  public record ShardResult(
      List<ScoredCandidate> scored, List<Evaluation> evaluations, List<StoredFitness> fresh) {}

  /**
   * One shard as a pure function: each distinct config (canonical key) of the candidates is looked
   * up in {@code store} or evaluated once with {@code fitness}, its latency predicted on every
   * target, and every candidate scored. Configs are processed in key order, so the work does not
   * depend on arrival order.
   */
  public static ShardResult evaluateShard(
      Iterable<SearchCandidate> candidates,
      int e,
      int d,
      int generation,
      Map<String, Double> store,
      Fitness fitness,
      Map<String, LatencyModel> models,
      String checkpointDigest) {
    return evaluateShard(
        candidates, e, d, generation, store, fitness, models, checkpointDigest, List.of());
  }

  static boolean[] flags(List<Boolean> xs) {
    boolean[] out = new boolean[xs.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = xs.get(i);
    }
    return out;
  }

  /**
   * As above for a space with Primer's optional genes ({@code optional}: {@link
   * Genome#optionalGenes}).
   */
  public static ShardResult evaluateShard(
      Iterable<SearchCandidate> candidates,
      int e,
      int d,
      int generation,
      Map<String, Double> store,
      Fitness fitness,
      Map<String, LatencyModel> models,
      String checkpointDigest,
      List<Boolean> optional) {
    Map<String, List<SearchCandidate>> byKey = new TreeMap<>();
    Map<String, SubConfig> configs = new HashMap<>();
    for (SearchCandidate c : candidates) {
      SubConfig config = Genome.decode(c.getGenes(), e, d, flags(optional));
      byKey.computeIfAbsent(config.key(), k -> new ArrayList<>()).add(c);
      configs.putIfAbsent(config.key(), config.active());
    }
    List<ScoredCandidate> scored = new ArrayList<>();
    List<Evaluation> evaluations = new ArrayList<>();
    List<StoredFitness> fresh = new ArrayList<>();
    for (Map.Entry<String, List<SearchCandidate>> entry : byKey.entrySet()) {
      String key = entry.getKey();
      SubConfig config = configs.get(key);
      Double stored = store.get(key);
      double loss = stored != null ? stored : fitness.validLoss(config);
      if (stored == null) {
        fresh.add(new StoredFitness(checkpointDigest, key, loss));
      }
      Map<String, Double> ms = new TreeMap<>();
      models.forEach((name, m) -> ms.put(name, m.predictMs(config)));
      evaluations.add(
          new Evaluation(generation, key, HatJson.write(config), loss, stored != null, ms));
      List<SearchCandidate> same = entry.getValue();
      same.sort(
          java.util.Comparator.comparing(SearchCandidate::getTarget)
              .thenComparingDouble(SearchCandidate::getBudgetMs)
              .thenComparingInt(SearchCandidate::getSlot));
      for (SearchCandidate c : same) {
        scored.add(
            new ScoredCandidate(
                c.getTarget(),
                c.getBudgetMs(),
                c.getSlot(),
                c.getGenes(),
                key,
                loss,
                ms.get(c.getTarget())));
      }
    }
    return new ShardResult(scored, evaluations, fresh);
  }

  /**
   * Opens the fitness and the latency models once per DoFn instance (per worker), never per
   * element.
   */
  static class EvaluateShardFn
      extends DoFn<KV<Integer, Iterable<SearchCandidate>>, ScoredCandidate> {
    private final Counter evaluated = Metrics.counter("search", "fitness_evaluations");
    private final Counter hits = Metrics.counter("search", "cache_hits");
    private final Settings s;
    private final PCollectionView<Iterable<StoredFitness>> storeView;
    private transient Fitness fitness;
    private transient Map<String, LatencyModel> models;

    private transient Iterable<StoredFitness> storeSeen;
    private transient Map<String, Double> store;

    EvaluateShardFn(Settings s, PCollectionView<Iterable<StoredFitness>> storeView) {
      this.s = s;
      this.storeView = storeView;
    }

    @Setup
    public void setup() {
      fitness = s.fitness().open();
      models = new LinkedHashMap<>();
      for (TargetBudgets t : s.targets()) {
        models.put(t.name(), t.latency().open());
      }
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Iterable<StoredFitness> known = c.sideInput(storeView);
      if (known
          != storeSeen) { // the same side input for every shard of a generation: build its map once
        storeSeen = known;
        store = new HashMap<>();
        // A key stored twice (a generation redone after a crash) keeps its smallest value: any
        // fixed rule works.
        for (StoredFitness f : known) {
          store.merge(f.getConfigKey(), f.getFitness(), Math::min);
        }
      }
      ShardResult r =
          evaluateShard(
              c.element().getValue(),
              s.encoderLayers(),
              s.decoderLayers(),
              s.generation(),
              store,
              fitness,
              models,
              s.checkpointDigest(),
              s.optionalGenes());
      r.scored().forEach(c::output);
      r.evaluations().forEach(x -> c.output(EVALUATIONS, x));
      r.fresh().forEach(x -> c.output(NEW_FITNESS, x));
      evaluated.inc(r.fresh().size());
      hits.inc(r.evaluations().size() - r.fresh().size());
    }

    @Teardown
    public void teardown() throws Exception {
      if (fitness != null) {
        fitness.close();
      }
    }
  }
}
