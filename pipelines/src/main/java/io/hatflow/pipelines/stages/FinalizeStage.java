package io.hatflow.pipelines.stages;

import ai.djl.ndarray.NDManager;
import io.hatflow.core.bleu.Bleu;
import io.hatflow.core.bleu.BleuOptions;
import io.hatflow.core.run.AtomicFiles;
import io.hatflow.core.run.CodeScope;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.search.HatJson;
import io.hatflow.core.space.Complexity;
import io.hatflow.core.space.Features;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.spec.Spec;
import io.hatflow.core.text.SubwordVocabulary;
import io.hatflow.model.decode.DecodeConfig;
import io.hatflow.model.decode.OnnxTranslator;
import io.hatflow.model.decode.Translator;
import io.hatflow.model.eval.FitnessEvaluator;
import io.hatflow.model.export.OnnxExport;
import io.hatflow.model.extract.SubTransformerModel;
import io.hatflow.model.latency.EngineLatencySubject;
import io.hatflow.model.latency.LatencyProtocol;
import io.hatflow.model.latency.ModelLatencySubject;
import io.hatflow.model.predictor.LatencyPredictor;
import io.hatflow.model.predictor.PredictorIO;
import io.hatflow.model.text.VocabularyFiles;
import io.hatflow.model.train.Batch;
import io.hatflow.model.train.Corpus;
import io.hatflow.model.train.SuperTransformerCheckpoint;
import io.hatflow.model.train.TrainConfig;
import io.hatflow.model.train.Trainable;
import io.hatflow.model.train.Trainer;
import io.hatflow.pipelines.finalize.Candidate;
import io.hatflow.pipelines.finalize.FinalizeOutputs;
import io.hatflow.pipelines.finalize.Ranking;
import io.hatflow.schemas.FinalResult;
import io.hatflow.schemas.SentencePair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * finalize: each search winner (and {@code finalize.random_subnets} random controls) trained
 * further as one fixed SubTransformer, from its inherited weights ({@code mode: inherit}) or from
 * scratch (HAT's way), then scored: test BLEU, params and FLOPs, predicted latency for every
 * target, latency measured here by HAT's protocol for measured targets (winners only); Kendall's τ
 * of inherited vs trained validation loss says whether the search's fitness ranks models right.
 * Outputs: {@code models/<name>/} (SubTransformer directories), {@code results.{avro,json,csv}},
 * {@code ranking.json}; per-model training state under {@code work/}.
 */
public final class FinalizeStage implements Stage {
  public static final String NAME = "finalize";

  /**
   * The code this stage's outputs depend on (CodeScopeTest checks it covers everything the stage
   * reaches).
   */
  static final CodeScope SCOPE =
      SearchStage.SCOPE.plus(
          new CodeScope(
              List.of("io.hatflow.core.bleu", "io.hatflow.pipelines.finalize"),
              List.of("io.hatflow.pipelines.stages.FinalizeStage")));

  /**
   * finalize's outputs: the results (Avro, JSON, CSV), the ranking check, each model's
   * SubTransformer folder and, with {@code finalize.export}, its ONNX export. Per-model training
   * state ({@code work/}) is the stage's own.
   */
  public record Outputs(Path dir) {
    /** In a run directory's local copy ({@link io.hatflow.core.run.RunDir#dir()}). */
    public static Outputs at(Path runDir) {
      return new Outputs(runDir.resolve(NAME));
    }

    public static Outputs in(io.hatflow.core.run.RunDir rd) {
      return at(rd.dir());
    }

    public Path results() {
      return dir.resolve(FinalizeOutputs.RESULTS_AVRO);
    }

    public Path resultsJson() {
      return dir.resolve(FinalizeOutputs.RESULTS_JSON);
    }

    public Path resultsCsv() {
      return dir.resolve(FinalizeOutputs.RESULTS_CSV);
    }

    public Path ranking() {
      return dir.resolve(FinalizeOutputs.RANKING_JSON);
    }

    /** The models' SubTransformer folders. */
    public Path models() {
      return dir.resolve("models");
    }

    public Path model(String name) {
      return models().resolve(name);
    }

    /** The models' ONNX exports. */
    public Path exports() {
      return dir.resolve("export");
    }

    public Path export(String name) {
      return exports().resolve(name);
    }

    /** The results written, as records. */
    public List<FinalResult> readResults() {
      return FinalizeOutputs.readResults(results());
    }

    Path work() {
      return dir.resolve("work");
    }
  }

  @Override
  public CodeScope codeScope() {
    return SCOPE;
  }

  /** Over-budget tolerance: measured latency more than 10% above the budget is flagged. */
  public static final double OVER_BUDGET_TOLERANCE = 0.10;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> upstream() {
    return List.of(SearchStage.NAME, TrainStage.NAME, PrepareStage.NAME);
  }

  @Override
  public String specSection(StageContext ctx) {
    Spec s = ctx.spec();
    // config(): the train section's optimiser settings shape finalize training too (a reused
    // train.from_run
    // checkpoint keeps its digest when they change)
    return s.finalizeSpec().toString()
        + Contents.of(s.targets())
        + s.search().validSubset()
        + s.seed()
        + config(s, 1);
  }

  /**
   * Finalize training settings: the train section's optimiser with finalize's steps, checkpoints
   * and learning rate ({@code finalize.lr}). {@code scratch} (HAT's final training) keeps train's
   * peak rate and schedule, its warm-up capped at a fifth of the steps. {@code inherit} fine-tunes
   * at {@link #inheritLr}: a linear warm-up over a tenth of the steps (fresh Adam moments), then
   * constant. {@code finalize.warmup_steps} overrides either warm-up. Chosen on validation loss
   * (README, "Finalize"): on the well-trained Multi30k SuperTransformer train.lr made the
   * fine-tuned winners worse than inherited and a quarter improved all 8 models; on the
   * under-trained demo SuperTransformer every rate improved them, higher ones more.
   */
  static TrainConfig config(Spec spec, int threads) {
    TrainConfig t = TrainStage.config(spec);
    Spec.FinalizeSpec f = spec.finalizeSpec();
    int steps = Math.max(1, f.steps());
    boolean inherit = f.mode().equals("inherit");
    double lr = f.lr() != null ? f.lr() : inherit ? inheritLr(t) : t.lr();
    int warmup =
        f.warmupSteps() != null
            ? f.warmupSteps()
            : inherit ? Math.max(1, steps / 10) : Math.min(t.warmupSteps(), Math.max(1, steps / 5));
    TrainConfig.Schedule schedule = inherit ? TrainConfig.Schedule.CONSTANT : t.schedule();
    // Finalize trains one fixed SubTransformer: no sandwich sampling.
    return t.toBuilder()
        .steps(steps)
        .lr(lr)
        .warmupSteps(warmup)
        .schedule(schedule)
        .checkpointEvery(f.checkpointEvery())
        .sandwichEvery(0)
        .threads(threads)
        .logEvery(Math.max(1, steps / 5))
        .build();
  }

  /** Validation points per finalize training (and its end): the best one's weights are kept. */
  static final int VALIDATIONS = 5;

  /**
   * Fine-tuning continues where the SuperTransformer's schedule ended, not from its peak: the rate
   * of its last step, at most a quarter of the peak (the rate that never hurt on en-de) and at
   * least a hundredth (so a cosine schedule decayed to ~0 still fine-tunes, gently, instead of
   * re-heating the weights at the peak's quarter).
   */
  static double inheritLr(TrainConfig train) {
    double end = train.lrAt(Math.max(0, train.steps() - 1));
    return Math.max(train.lr() / 100, Math.min(train.lr() / 4, end));
  }

  /**
   * One intra-op thread for the tiny space (OpenMP stalls on a shared small machine), else all
   * cores.
   */
  static int threads(Spec spec) {
    if (spec.train().threads() > 0) {
      return spec.train().threads();
    }
    return spec.model().space().name().equals("tiny")
        ? 1
        : Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  @Override
  public boolean hasWorkToResume(StageContext ctx) {
    return SearchStage.nonEmpty(
        Outputs.in(ctx.runDir()).work()); // models' checkpoints and finished results
  }

  @Override
  public void run(StageContext ctx) throws IOException {
    Spec spec = ctx.spec();
    Path runDir = ctx.runDir().dir();
    PrepareStage.Outputs prepare = PrepareStage.Outputs.in(ctx.runDir());
    Path prepared = prepare.dir();
    Outputs outputs = Outputs.in(ctx.runDir());
    Path out = outputs.dir();
    Path winnersJson = SearchStage.Outputs.in(ctx.runDir()).winnersJson();
    if (!Files.exists(winnersJson)) {
      throw new UserInputException(
          "finalize needs the search's winners: " + winnersJson + " does not exist");
    }
    SearchSpace space = spec.model().space();
    List<Candidate> models = new ArrayList<>(Candidate.winners(winnersJson));
    models.addAll(
        Candidate.randoms(space, spec.finalizeSpec().randomSubnets(), spec.seed(), models));
    checkUpdateLayers(spec.finalizeSpec(), models); // before anything is removed
    if (!ctx.resume()) {
      // Only the scratch: finished models and results stay until their replacements are written.
      AtomicFiles.deleteTree(outputs.work());
    }
    Files.createDirectories(out);
    Path checkpoint = TrainStage.Outputs.in(ctx.runDir()).checkpoint();
    int threads = threads(spec);
    List<Batch> valid =
        Corpus.batches(
            Corpus.subset(Corpus.read(prepared, "valid"), spec.search().validSubset()),
            spec.train().maxTokens());
    List<SentencePair> test = readSplit(prepared, "test");
    List<String> testSrc = test.stream().map(SentencePair::getSrc).toList();
    List<String> testRef = test.stream().map(SentencePair::getTgt).toList();
    Map<String, LatencyPredictor> predictors = predictors(ctx);

    ctx.log()
        .printf(
            "[finalize] %d models (%s), %d steps each, mode %s, %d thread(s)%n",
            models.size(),
            String.join(", ", models.stream().map(Candidate::name).toList()),
            spec.finalizeSpec().steps(),
            spec.finalizeSpec().mode(),
            threads);

    List<FinalResult> results = new ArrayList<>();
    Spec.FinalizeSpec f = spec.finalizeSpec();
    TrainConfig tc = config(spec, threads);
    boolean inherit = f.mode().equals("inherit");
    ctx.log()
        .printf(
            "[finalize] training: lr %.3g, %s schedule, %d warm-up steps%n",
            tc.lr(), tc.schedule().name().toLowerCase(java.util.Locale.ROOT), tc.warmupSteps());
    var training =
        ctx.record()
            .training()
            .put("mode", f.mode())
            .put("steps", tc.steps())
            .put("lr", tc.lr())
            .put("warmup_steps", tc.warmupSteps())
            .put("schedule", tc.schedule().name().toLowerCase(java.util.Locale.ROOT));
    if (!f.update().equals("all")) {
      training.put("update", f.update());
      ctx.log()
          .printf(
              "[finalize] sparse fine-tuning: update %s%s%n",
              f.update(),
              f.update().equals("last_k")
                  ? " (" + f.updateLayers() + " layers)"
                  : f.update().equals("auto")
                      ? " (budget "
                          + f.updateBudget()
                          + " of the full backward time, probe of "
                          + probeSteps(tc)
                          + " updates per layer)"
                      : "");
    }
    // Work (checkpoint, finished result) is keyed by the stage fingerprint (settings, upstream
    // digests, code)
    // and the model: an interrupted finalize resumes it, one with anything changed starts afresh,
    // and the work
    // and models of other settings or of models no longer chosen are dropped.
    Map<String, String> workNames = new java.util.LinkedHashMap<>();
    for (Candidate c : models) {
      workNames.put(
          c.name(),
          c.name()
              + "-"
              + Digests.sha256(ctx.record().fingerprint() + c.name() + c.config().key())
                  .substring(0, 16));
    }
    StageContext.keepOnly(outputs.work(), workNames::containsValue);
    int qkv = space.qkvDim();
    int len = space.dummyTokens();
    try (SuperTransformerCheckpoint supernet = SuperTransformerCheckpoint.load(checkpoint);
        SubwordVocabulary vocab = VocabularyFiles.load(prepare.vocab())) {
      FitnessEvaluator inheritedEval =
          new FitnessEvaluator(supernet.model(), threads, spec.train().labelSmoothing());
      for (Candidate c : models) {
        long t0 = System.nanoTime();
        Path work = outputs.work().resolve(workNames.get(c.name()));
        Path modelDir = outputs.model(c.name());
        Path done = work.resolve("result.avro");
        if (ctx.resume() && Files.exists(done) && modelCameFrom(modelDir, work)) {
          FinalResult kept = FinalizeOutputs.readResults(done).get(0);
          results.add(kept);
          ctx.log()
              .printf(
                  "[finalize] %s: finished before, kept (inherited loss %.4f -> %.4f, BLEU %.2f)%n",
                  c.name(), kept.getInheritedLoss(), kept.getTrainedLoss(), kept.getBleu());
          continue;
        }
        double inheritedLoss = inheritedEval.validLoss(c.config(), valid);
        SearchSpace shape = Candidate.shapeSpace(c.config(), qkv);
        // Validated as it trains; the best step is kept, step 0 (the inherited weights) included:
        // finalize never
        // hands back a model worse on validation than the one the search chose.
        Trainer.Validation validation =
            new Trainer.Validation(
                m ->
                    new FitnessEvaluator(m, threads, spec.train().labelSmoothing())
                        .validLoss(c.config(), valid),
                Math.max(1, tc.steps() / VALIDATIONS),
                inherit ? inheritedLoss : Double.NaN);
        java.util.function.Function<NDManager, io.hatflow.model.transformer.SuperTransformer>
            start = inherit ? m -> supernet.model().extract(m, shape.largest()) : null;
        Sparse sparse =
            sparse(
                ctx,
                f,
                tc,
                c,
                start,
                prepared,
                work,
                m ->
                    new FitnessEvaluator(m, threads, spec.train().labelSmoothing())
                        .validLoss(c.config(), valid));
        Trainer.Result r =
            sparse.trainable() == null
                ? new Trainer.Result(
                    null,
                    null,
                    0,
                    Double.NaN,
                    0,
                    inheritedLoss,
                    null,
                    null) // nothing worth updating
                : Trainer.trainFixed(
                    tc,
                    shape,
                    c.config(),
                    start,
                    supernet.vocabSize(),
                    prepared,
                    work,
                    ctx.resume(),
                    p -> ctx.log().println("[finalize] " + c.name() + " " + p.line()),
                    validation,
                    sparse.trainable());
        double trainedLoss = r.bestLoss();
        if (r.best() == null) {
          ctx.log()
              .printf(
                  "[finalize] %s: fine-tuning did not beat the inherited weights on validation (%.4f): kept"
                      + " step 0%n",
                  c.name(), inheritedLoss);
          SubTransformerModel.write(supernet.model(), c.config(), supernet.digest(), modelDir);
        } else {
          try (SuperTransformerCheckpoint trained = SuperTransformerCheckpoint.load(r.best())) {
            SubTransformerModel.write(trained.model(), c.config(), trained.digest(), modelDir);
          }
        }
        double bleu;
        try (Translator tr =
            new Translator(
                modelDir, vocab, new DecodeConfig(f.beam(), f.lenpen(), 1.2, 10), threads)) {
          bleu = Bleu.corpusBleu(tr.translate(testSrc), testRef, BleuOptions.defaults()).score();
        }
        Map<String, Double> predicted = new TreeMap<>();
        predictors.forEach((t, p) -> predicted.put(t, p.predictMs(Features.of(c.config()))));
        // random controls serve the ranking check only: not timed, to keep finalize short
        // Exported once, first: an onnx-* target is then timed on the export finalize keeps.
        Path exportDir = null;
        if (f.export()) {
          exportDir = outputs.export(c.name());
          OnnxExport.write(modelDir, prepare.vocab(), exportDir, true, true);
        }
        Map<String, Double> measured =
            c.kind().equals(Candidate.WINNER)
                ? measure(spec, modelDir, exportDir, space)
                : Map.of();
        boolean over =
            c.kind().equals(Candidate.WINNER)
                && Ranking.overBudget(
                    measured.getOrDefault(c.target(), Double.NaN),
                    c.budgetMs(),
                    OVER_BUDGET_TOLERANCE);
        Deployment dep =
            exportDir == null
                ? Deployment.NONE
                : deploy(spec, modelDir, exportDir, c, bleu, measured, testSrc, testRef, threads);
        FinalResult result =
            FinalResult.newBuilder()
                .setName(c.name())
                .setKind(c.kind())
                .setMode(f.mode())
                .setExportDir(dep.dir() == null ? null : runDir.relativize(dep.dir()).toString())
                .setEngineBleu(dep.bleu())
                .setEngineMs(dep.ms())
                .setTarget(c.target())
                .setBudgetMs(c.budgetMs())
                .setConfigKey(c.config().key())
                .setConfig(HatJson.write(c.config()))
                .setParams(Complexity.params(c.config(), qkv))
                .setFlops(Complexity.flops(c.config(), qkv, len, len))
                .setInheritedLoss(inheritedLoss)
                .setTrainedLoss(trainedLoss)
                .setKeptStep(r.bestStep())
                .setBleu(bleu)
                .setPredictedMs(new TreeMap<>(predicted))
                .setMeasuredMs(new TreeMap<>(measured))
                .setOverBudget(over)
                .setUpdate(f.update())
                .setUpdatedLayers(sparse.layers())
                .setUpdateBudget(f.updateBudget())
                .setUpdateProbe(sparse.probe())
                .setUpdatedParams(r.cost() == null ? -1 : r.cost().updatedParams())
                .build();
        if (r.cost() != null) {
          // timings of this process's updates: in the manifest, not the results (a resumed finalize
          // ends with the
          // uninterrupted one's results byte for byte)
          var costs =
              ctx.record().training().has("costs")
                  ? (com.fasterxml.jackson.databind.node.ObjectNode)
                      ctx.record().training().get("costs")
                  : ctx.record().training().putObject("costs");
          costs
              .putObject(c.name())
              .put("update", f.update())
              .put("updated_params", r.cost().updatedParams())
              .put("step_ms", r.cost().stepMs())
              .put("backward_ms", r.cost().backwardMs())
              .put("peak_rss_mb", r.cost().peakRssBytes() / 1048576.0);
          ctx.log()
              .printf(
                  java.util.Locale.ROOT,
                  "[finalize] %s: %,d parameters updated; an update %.1f ms, its backward"
                      + " %.1f ms (medians), peak RSS %.0f MiB%n",
                  c.name(),
                  r.cost().updatedParams(),
                  r.cost().stepMs(),
                  r.cost().backwardMs(),
                  r.cost().peakRssBytes() / 1048576.0);
        }
        FinalizeOutputs.writeResults(done, List.of(result));
        results.add(result);
        ctx.log()
            .printf(
                "[finalize] %s: inherited loss %.4f -> %.4f (step %d kept), BLEU %.2f, measured %s, predicted %s%s%s (%.1fs)%n",
                c.name(),
                inheritedLoss,
                trainedLoss,
                r.bestStep(),
                bleu,
                measured,
                predicted,
                over ? " OVER BUDGET" : "",
                dep.bleu().isEmpty() ? "" : "; engines BLEU " + dep.bleu() + " ms " + dep.ms(),
                (System.nanoTime() - t0) / 1e9);
      }
    }
    Ranking.Tau tau = FinalizeOutputs.write(out, results);
    StageContext.keepOnly(
        outputs.models(), workNames::containsKey); // models no longer chosen, once replaced
    StageContext.keepOnly(outputs.exports(), n -> f.export() && workNames.containsKey(n));
    ctx.log()
        .printf(
            "[finalize] Kendall tau inherited vs trained loss %.3f, vs BLEU %.3f (%d models)%n",
            tau.lossVsLoss(), tau.lossVsBleu(), tau.models());
    var counts = ctx.record().counts();
    counts
        .put("models", results.size())
        .put("winners", results.stream().filter(x -> x.getKind().equals(Candidate.WINNER)).count())
        .put("over_budget", results.stream().filter(FinalResult::getOverBudget).count());
    if (!Double.isNaN(tau.lossVsLoss())) {
      counts.put("kendall_tau_loss", tau.lossVsLoss());
    }
    if (!Double.isNaN(tau.lossVsBleu())) {
      counts.put("kendall_tau_bleu", tau.lossVsBleu());
    }
    for (String file :
        List.of(
            FinalizeOutputs.RESULTS_AVRO,
            FinalizeOutputs.RESULTS_JSON,
            FinalizeOutputs.RESULTS_CSV,
            FinalizeOutputs.RANKING_JSON)) {
      ctx.record().output(file, out.resolve(file));
    }
    for (FinalResult x : results) {
      ctx.record()
          .output(
              "model_" + x.getName(),
              outputs.model(x.getName()).resolve(SubTransformerModel.WEIGHTS));
      if (x.getExportDir() != null) {
        ctx.record().output("export_" + x.getName(), runDir.resolve(x.getExportDir()));
      }
    }
    ctx.record().input("winners", winnersJson);
  }

  /**
   * last_k's layer count must fit every model finalize trains (the spec checked the space's
   * largest).
   */
  static void checkUpdateLayers(Spec.FinalizeSpec f, List<Candidate> models) {
    if (!f.update().equals("last_k")) {
      return;
    }
    for (Candidate c : models) {
      int layers = c.config().encoderLayerNum() + c.config().decoderLayerNum();
      if (f.updateLayers() > layers) {
        throw new UserInputException(
            "finalize.update_layers: "
                + f.updateLayers()
                + " is above the layer count of "
                + c.name()
                + " ("
                + c.config().encoderLayerNum()
                + " encoder + "
                + c.config().decoderLayerNum()
                + " decoder = "
                + layers
                + " layers); lower it to at most "
                + layers);
      }
    }
  }

  /** Updates per layer in auto's probe: a tenth of finalize's steps, 2 to 10. */
  static int probeSteps(TrainConfig tc) {
    return Math.max(2, Math.min(10, tc.steps() / 10));
  }

  /**
   * What a model's fine-tuning updates; {@code trainable} null: auto found nothing worth its cost
   * (no training).
   */
  record Sparse(
      Trainable trainable, List<String> layers, List<io.hatflow.schemas.UpdateProbe> probe) {}

  static final String PROBE_JSON = "probe.json";

  /**
   * The weights finalize updates for {@code c}. auto probes (PockEngine) and picks under the
   * budget; the probe's measurements are kept in the model's work directory, so a resumed finalize
   * trains the same layers.
   */
  private static Sparse sparse(
      StageContext ctx,
      Spec.FinalizeSpec f,
      TrainConfig tc,
      Candidate c,
      java.util.function.Function<NDManager, io.hatflow.model.transformer.SuperTransformer> start,
      Path prepared,
      Path work,
      java.util.function.ToDoubleFunction<io.hatflow.model.transformer.SuperTransformer> validLoss)
      throws IOException {
    switch (f.update()) {
      case "all":
        return new Sparse(Trainable.ALL, List.of(), List.of());
      case "bias":
        return new Sparse(Trainable.bias(), List.of(), List.of());
      case "last_k":
        {
          Trainable t = Trainable.lastK(c.config(), f.updateLayers());
          ctx.log()
              .printf(
                  "[finalize] %s: updating the last %d layers %s%n",
                  c.name(), f.updateLayers(), t.layers());
          return new Sparse(t, t.layers(), List.of());
        }
      default:
        break;
    }
    Path saved = work.resolve(PROBE_JSON);
    Trainer.ProbeResult p;
    Trainer.ProbeResult before = ctx.resume() && Files.exists(saved) ? readProbe(saved) : null;
    if (before != null) {
      p = before;
      ctx.log().printf("[finalize] %s: probe measured before, kept%n", c.name());
    } else {
      p =
          Trainer.probe(
              tc,
              c.config(),
              start,
              prepared,
              probeSteps(tc),
              validLoss,
              line -> ctx.log().println("[finalize] " + c.name() + " " + line));
      Files.createDirectories(work);
      AtomicFiles.writeString(saved, writeProbe(p));
    }
    List<String> picked = Trainable.pick(p.layers(), p.full().backwardMs(), f.updateBudget());
    double est = Trainable.estimatedMs(p.layers(), picked);
    ctx.log()
        .printf(
            "[finalize] %s: auto picked %s: %.2f of %.2f ms backward (%.0f%%, budget %.0f%%)%n",
            c.name(),
            picked,
            est,
            p.full().backwardMs(),
            100 * est / p.full().backwardMs(),
            100 * f.updateBudget());
    List<io.hatflow.schemas.UpdateProbe> rows = new ArrayList<>();
    for (Trainable.Probe x : p.layers()) {
      rows.add(
          new io.hatflow.schemas.UpdateProbe(
              x.layer(),
              x.lossGain(),
              x.backwardMs(),
              x.pathMs(),
              x.weightMs(),
              picked.contains(x.layer())));
    }
    rows.add(
        new io.hatflow.schemas.UpdateProbe(
            "all", p.full().lossGain(), p.full().backwardMs(), null, null, false));
    if (picked.isEmpty()) {
      ctx.log()
          .printf(
              "[finalize] %s: no layer lowered the validation loss within the budget: inherited weights"
                  + " kept, not trained%n",
              c.name());
      return new Sparse(null, List.of(), rows);
    }
    return new Sparse(Trainable.picked(picked), picked, rows);
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  static String writeProbe(Trainer.ProbeResult p) throws IOException {
    var root = JSON.createObjectNode().put("steps", p.steps()).put("start_loss", p.startLoss());
    var rows = root.putArray("rows");
    for (Trainable.Probe x : p.layers()) {
      rows.addObject()
          .put("layer", x.layer())
          .put("loss_gain", x.lossGain())
          .put("backward_ms", x.backwardMs())
          .put("path_ms", x.pathMs());
    }
    root.putObject("all")
        .put("loss_gain", p.full().lossGain())
        .put("backward_ms", p.full().backwardMs());
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
  }

  /** A saved probe; null when it predates the per-layer path times (then it is measured again). */
  static Trainer.ProbeResult readProbe(Path f) throws IOException {
    var root = JSON.readTree(f.toFile());
    List<Trainable.Probe> rows = new ArrayList<>();
    for (var x : root.path("rows")) {
      if (!x.has("path_ms")) {
        return null;
      }
      rows.add(
          new Trainable.Probe(
              x.path("layer").asText(),
              x.path("loss_gain").asDouble(),
              x.path("backward_ms").asDouble(),
              x.path("path_ms").asDouble()));
    }
    var all = root.path("all");
    return new Trainer.ProbeResult(
        root.path("steps").asInt(),
        root.path("start_loss").asDouble(),
        new Trainable.Probe(
            "all",
            all.path("loss_gain").asDouble(),
            all.path("backward_ms").asDouble(),
            Double.NaN),
        rows);
  }

  /** Predictors of every target that has one under {@code predictor/<target>/}. */
  private static Map<String, LatencyPredictor> predictors(StageContext ctx) {
    Map<String, LatencyPredictor> out = new TreeMap<>();
    PredictorStage.Outputs predictors = PredictorStage.Outputs.in(ctx.runDir());
    for (Spec.TargetSpec t : ctx.spec().targets()) {
      Path dir = predictors.predictor(t.name());
      if (Files.isDirectory(dir)) {
        out.put(t.name(), PredictorIO.load(dir).predictor());
      } else {
        ctx.log()
            .printf(
                "[finalize] no predictor for target %s at %s: no predicted latency%n",
                t.name(), dir);
      }
    }
    return out;
  }

  /** A model's ONNX export and, for a winner, its BLEU and measured latency per engine. */
  record Deployment(Path dir, Map<String, Double> bleu, Map<String, Double> ms) {
    static final Deployment NONE = new Deployment(null, Map.of(), Map.of());
  }

  /**
   * A model's ONNX export ({@code exportDir}, fp32 and int8): a winner is translated with both
   * exports (same decoding as the DJL BLEU) and, when its own target is measured here, timed by
   * HAT's protocol with that target's settings. Random controls are exported only: they serve the
   * ranking check.
   */
  private static Deployment deploy(
      Spec spec,
      Path modelDir,
      Path exportDir,
      Candidate c,
      double djlBleu,
      Map<String, Double> measured,
      List<String> testSrc,
      List<String> testRef,
      int threads) {
    if (!c.kind().equals(Candidate.WINNER)) {
      return new Deployment(exportDir, Map.of(), Map.of());
    }
    Map<String, Double> bleu = new TreeMap<>(Map.of("djl", djlBleu));
    Map<String, Double> ms = new TreeMap<>();
    Spec.FinalizeSpec f = spec.finalizeSpec();
    DecodeConfig dc = new DecodeConfig(f.beam(), f.lenpen(), 1.2, 10);
    Spec.TargetSpec target =
        spec.targets().stream().filter(t -> t.name().equals(c.target())).findFirst().orElse(null);
    Spec.Measure m = target == null ? null : target.latency().measure();
    for (String engine : FinalizeOutputs.ENGINES) {
      if (!engine.equals("djl")) {
        try (OnnxTranslator t =
            OnnxTranslator.open(exportDir, engine.equals("onnx-int8"), threads)) {
          bleu.put(
              engine,
              Bleu.corpusBleu(t.translate(testSrc, dc), testRef, BleuOptions.defaults()).score());
        }
      }
      if (m != null) { // the target's own engine was timed already (its measured latency)
        ms.put(
            engine,
            engine.equals(target.engine()) && measured.containsKey(c.target())
                ? measured.get(c.target())
                : timeOn(engine, modelDir, exportDir, m, spec.model().space()));
      }
    }
    return new Deployment(exportDir, bleu, ms);
  }

  private static LatencyProtocol protocol(Spec.Measure m, SearchSpace space) {
    int tokens = m.srcTokens() > 0 ? m.srcTokens() : space.dummyTokens();
    return new LatencyProtocol(tokens, m.beam(), m.warmup(), m.runs(), 0.1)
        .withMaxRuns(m.maxRuns());
  }

  /**
   * HAT's protocol on this machine for each target that says {@code latency.measure}, with its
   * settings, on the target's engine (what its predictor was fitted on).
   */
  private static Map<String, Double> measure(
      Spec spec, Path modelDir, Path exportDir, SearchSpace space) {
    Map<String, Double> out = new TreeMap<>();
    for (Spec.TargetSpec t : spec.targets()) {
      Spec.Measure m = t.latency().measure();
      if (m != null) {
        out.put(t.name(), timeOn(t.engine(), modelDir, exportDir, m, space));
      }
    }
    return out;
  }

  /**
   * Encoder + decoder ms of the model in {@code modelDir} on {@code engine}; an ONNX engine runs
   * {@code exportDir}, or, when that is null, an export made for the timing and removed after it.
   */
  static double timeOn(
      String engine, Path modelDir, Path exportDir, Spec.Measure m, SearchSpace space) {
    LatencyProtocol protocol = protocol(m, space);
    LatencyProtocol.Stats st;
    if (engine.equals("djl")) {
      try (NDManager nm = NDManager.newBaseManager();
          SubTransformerModel.Loaded l = SubTransformerModel.load(modelDir, nm);
          ModelLatencySubject s =
              new ModelLatencySubject(l.model(), l.config(), protocol, m.threads())) {
        st = quietly(protocol, s);
      }
      return st.meanEncoderMs() + st.meanDecoderMs();
    }
    boolean int8 = engine.equals("onnx-int8");
    Path temp = null;
    try {
      if (exportDir == null) {
        temp = Files.createTempDirectory("hatflow-finalize-onnx-");
        exportDir = temp.resolve("export");
        OnnxExport.write(modelDir, null, exportDir, int8, false);
      }
      try (OnnxTranslator t = OnnxTranslator.open(exportDir, int8, m.threads());
          EngineLatencySubject s = new EngineLatencySubject(t, protocol)) {
        st = quietly(protocol, s);
      }
      return st.meanEncoderMs() + st.meanDecoderMs();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot export " + modelDir + " for timing", e);
    } finally {
      if (temp != null) {
        AtomicFiles.deleteTree(temp);
      }
    }
  }

  /**
   * Timed as the latency stage times its rows (pinned, adaptive, re-timed under load): comparable
   * figures.
   */
  private static LatencyProtocol.Stats quietly(LatencyProtocol p, LatencyProtocol.Subject s) {
    return io.hatflow.model.latency.QuietTiming.measure(
            p,
            s,
            System::nanoTime,
            io.hatflow.model.latency.QuietTiming.HOST,
            io.hatflow.model.latency.QuietTiming.TRIES)
        .stats();
  }

  /**
   * Whether {@code modelDir} holds the weights trained in {@code work} (not those of another
   * finalize).
   */
  private static boolean modelCameFrom(Path modelDir, Path work) throws IOException {
    Path props = modelDir.resolve(SubTransformerModel.PROPS);
    Path ck = work.resolve(SuperTransformerCheckpoint.FILE_NAME);
    if (!Files.exists(props)
        || !Files.exists(modelDir.resolve(SubTransformerModel.WEIGHTS))
        || !Files.exists(ck)) {
      return false;
    }
    java.util.Properties p = new java.util.Properties();
    try (var in = Files.newInputStream(props)) {
      p.load(in);
    }
    try (SuperTransformerCheckpoint trained = SuperTransformerCheckpoint.load(ck)) {
      return trained.digest().equals(p.getProperty("sourceCheckpoint"));
    }
  }

  static List<SentencePair> readSplit(Path dir, String split) {
    return io.hatflow.model.train.Corpus.records(dir, split);
  }
}
