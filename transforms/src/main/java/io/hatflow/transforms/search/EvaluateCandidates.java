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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.extensions.avro.io.AvroIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Min;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The fan-out of one generation: the candidates of ALL searches, keyed by canonical config key, made
 * distinct, looked up in the evaluation store, the misses reshuffled across workers and evaluated once
 * each (one {@link Fitness} per worker), every distinct config's latency predicted for every target, and
 * the results joined back to each search's candidates.
 *
 * <p>Outputs: {@link #SCORED} (every candidate with its fitness and its own target's latency),
 * {@link #EVALUATIONS} (one per distinct config), {@link #NEW_FITNESS} (entries to append to the store).
 */
public class EvaluateCandidates extends PTransform<PCollection<SearchCandidate>, PCollectionTuple> {
  public static final TupleTag<ScoredCandidate> SCORED = new TupleTag<>() {};
  public static final TupleTag<Evaluation> EVALUATIONS = new TupleTag<>() {};
  public static final TupleTag<StoredFitness> NEW_FITNESS = new TupleTag<>() {};

  /**
   * @param generation       the generation being evaluated (recorded in the evaluations)
   * @param encoderLayers    SuperTransformer encoder layers (gene vector shape)
   * @param decoderLayers    SuperTransformer decoder layers
   * @param fitness          opens the fitness evaluator, once per worker
   * @param targets          every target, for latency predictions
   * @param checkpointDigest the SuperTransformer checkpoint the fitness belongs to: the store's key
   * @param storeGlob        the evaluation store's files (none yet is fine)
   */
  public record Settings(int generation, int encoderLayers, int decoderLayers, FitnessFactory fitness,
      List<TargetBudgets> targets, String checkpointDigest, String storeGlob) implements Serializable {
    public Settings {
      targets = List.copyOf(targets);
    }
  }

  private final Settings s;

  public EvaluateCandidates(Settings s) {
    this.s = s;
  }

  @Override
  public PCollectionTuple expand(PCollection<SearchCandidate> candidates) {
    var pipeline = candidates.getPipeline();
    KvCoder<String, String> kvStrings = KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());
    AvroCoder<Evaluation> evalCoder = AvroCoder.specific(Evaluation.class);

    PCollectionView<Map<String, Double>> store = pipeline
        .apply("ReadEvaluationStore", AvroIO.read(StoredFitness.class).from(s.storeGlob())
            .withEmptyMatchTreatment(EmptyMatchTreatment.ALLOW))
        .apply("SameCheckpoint", Filter.by((StoredFitness f) -> f.getCheckpointDigest().equals(s.checkpointDigest())))
        .apply("KeyStoredByConfig", MapElements
            .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.doubles()))
            .via((StoredFitness f) -> KV.of(f.getConfigKey(), f.getFitness())))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), DoubleCoder.of()))
        // A resumed generation may have stored a key twice; any fixed choice keeps runs reproducible.
        .apply("OnePerConfig", Min.doublesPerKey())
        .apply("AsMap", View.asMap());

    PCollection<KV<String, String>> distinct = candidates
        .apply("KeyByConfig", ParDo.of(new KeyByConfigFn(s.encoderLayers(), s.decoderLayers())))
        .setCoder(kvStrings)
        .apply("DistinctConfigs", Distinct.create());

    TupleTag<Evaluation> hits = new TupleTag<>() {};
    TupleTag<KV<String, String>> misses = new TupleTag<>() {};
    PCollectionTuple looked = distinct.apply("LookUpStore",
        ParDo.of(new LookUpStoreFn(store, s.generation(), hits, misses)).withSideInputs(store)
            .withOutputTags(hits, TupleTagList.of(misses)));

    PCollection<Evaluation> fresh = looked.get(misses).setCoder(kvStrings)
        .apply("SpreadOverWorkers", Reshuffle.viaRandomKey())
        .apply("EvaluateFitness", ParDo.of(new EvaluateFitnessFn(s.fitness(), s.generation())))
        .setCoder(evalCoder);

    PCollection<StoredFitness> newFitness = fresh.apply("ToStoreEntries", MapElements
            .into(TypeDescriptor.of(StoredFitness.class))
            .via((Evaluation e) -> new StoredFitness(s.checkpointDigest(), e.getConfigKey(), e.getFitness())))
        .setCoder(AvroCoder.specific(StoredFitness.class));

    PCollection<Evaluation> evaluations = PCollectionList.of(looked.get(hits).setCoder(evalCoder)).and(fresh)
        .apply("AllDistinct", Flatten.pCollections())
        .apply("PredictLatencies", ParDo.of(new PredictLatencyFn(s.targets())))
        .setCoder(evalCoder);

    TupleTag<SearchCandidate> candTag = new TupleTag<>() {};
    TupleTag<Evaluation> evalTag = new TupleTag<>() {};
    PCollection<ScoredCandidate> scored = KeyedPCollectionTuple
        .of(candTag, candidates.apply("KeyCandidates", ParDo.of(new KeyCandidateFn(s.encoderLayers(), s.decoderLayers())))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), AvroCoder.specific(SearchCandidate.class))))
        .and(evalTag, evaluations.apply("KeyEvaluations", MapElements
                .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptor.of(Evaluation.class)))
                .via((Evaluation e) -> KV.of(e.getConfigKey(), e)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), evalCoder)))
        .apply("JoinBackToSearches", CoGroupByKey.create())
        .apply("ScoreCandidates", ParDo.of(new JoinScoresFn(candTag, evalTag)))
        .setCoder(AvroCoder.specific(ScoredCandidate.class));

    return PCollectionTuple.of(SCORED, scored).and(EVALUATIONS, evaluations).and(NEW_FITNESS, newFitness);
  }

  /** Canonical key and active config (HAT JSON) of a candidate. */
  public static KV<String, String> keyAndConfig(SearchCandidate c, int e, int d) {
    SubConfig config = Genome.decode(c.getGenes(), e, d);
    return KV.of(config.key(), HatJson.write(config.active()));
  }

  static class KeyByConfigFn extends DoFn<SearchCandidate, KV<String, String>> {
    private final int e;
    private final int d;

    KeyByConfigFn(int e, int d) {
      this.e = e;
      this.d = d;
    }

    @ProcessElement
    public void process(@Element SearchCandidate c, OutputReceiver<KV<String, String>> out) {
      out.output(keyAndConfig(c, e, d));
    }
  }

  static class KeyCandidateFn extends DoFn<SearchCandidate, KV<String, SearchCandidate>> {
    private final int e;
    private final int d;

    KeyCandidateFn(int e, int d) {
      this.e = e;
      this.d = d;
    }

    @ProcessElement
    public void process(@Element SearchCandidate c, OutputReceiver<KV<String, SearchCandidate>> out) {
      out.output(KV.of(Genome.decode(c.getGenes(), e, d).key(), c));
    }
  }

  static class LookUpStoreFn extends DoFn<KV<String, String>, Evaluation> {
    private final Counter cacheHits = Metrics.counter("search", "cache_hits");
    private final PCollectionView<Map<String, Double>> store;
    private final int generation;
    private final TupleTag<Evaluation> hits;
    private final TupleTag<KV<String, String>> misses;

    LookUpStoreFn(PCollectionView<Map<String, Double>> store, int generation, TupleTag<Evaluation> hits,
        TupleTag<KV<String, String>> misses) {
      this.store = store;
      this.generation = generation;
      this.hits = hits;
      this.misses = misses;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      KV<String, String> kv = c.element();
      Double f = c.sideInput(store).get(kv.getKey());
      if (f == null) {
        c.output(misses, kv);
      } else {
        cacheHits.inc();
        c.output(hits, new Evaluation(generation, kv.getKey(), kv.getValue(), f, true, Map.of()));
      }
    }
  }

  /** Opens the fitness once per DoFn instance (per worker thread), never per element. */
  static class EvaluateFitnessFn extends DoFn<KV<String, String>, Evaluation> {
    private final Counter evaluations = Metrics.counter("search", "fitness_evaluations");
    private final FitnessFactory factory;
    private final int generation;
    private transient Fitness fitness;

    EvaluateFitnessFn(FitnessFactory factory, int generation) {
      this.factory = factory;
      this.generation = generation;
    }

    @Setup
    public void setup() {
      fitness = factory.open();
    }

    @ProcessElement
    public void process(@Element KV<String, String> kv, OutputReceiver<Evaluation> out) {
      double loss = fitness.validLoss(HatJson.read(kv.getValue()));
      evaluations.inc();
      out.output(new Evaluation(generation, kv.getKey(), kv.getValue(), loss, false, Map.of()));
    }

    @Teardown
    public void teardown() throws Exception {
      if (fitness != null) {
        fitness.close();
      }
    }
  }

  static class PredictLatencyFn extends DoFn<Evaluation, Evaluation> {
    private final List<TargetBudgets> targets;
    private transient Map<String, LatencyModel> models;

    PredictLatencyFn(List<TargetBudgets> targets) {
      this.targets = targets;
    }

    @Setup
    public void setup() {
      models = new LinkedHashMap<>();
      for (TargetBudgets t : targets) {
        models.put(t.name(), t.latency().open());
      }
    }

    @ProcessElement
    public void process(@Element Evaluation e, OutputReceiver<Evaluation> out) {
      out.output(withLatencies(e, models));
    }
  }

  /** The evaluation with its config's predicted latency on every target (sorted by target name). */
  public static Evaluation withLatencies(Evaluation e, Map<String, LatencyModel> models) {
    SubConfig c = HatJson.read(e.getConfig());
    Map<String, Double> ms = new TreeMap<>();
    models.forEach((name, m) -> ms.put(name, m.predictMs(c)));
    return new Evaluation(e.getGeneration(), e.getConfigKey(), e.getConfig(), e.getFitness(), e.getCached(), ms);
  }

  static class JoinScoresFn extends DoFn<KV<String, CoGbkResult>, ScoredCandidate> {
    private final TupleTag<SearchCandidate> candTag;
    private final TupleTag<Evaluation> evalTag;

    JoinScoresFn(TupleTag<SearchCandidate> candTag, TupleTag<Evaluation> evalTag) {
      this.candTag = candTag;
      this.evalTag = evalTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> kv, OutputReceiver<ScoredCandidate> out) {
      Evaluation e = kv.getValue().getOnly(evalTag);
      for (SearchCandidate c : kv.getValue().getAll(candTag)) {
        Double ms = e.getPredictedMs().get(c.getTarget());
        out.output(new ScoredCandidate(c.getTarget(), c.getBudgetMs(), c.getSlot(), c.getGenes(), kv.getKey(),
            e.getFitness(), ms));
      }
    }
  }
}
