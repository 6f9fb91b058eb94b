package io.hatflow.pipelines.stages;

import io.hatflow.core.run.Artifact;
import io.hatflow.core.run.Audit;
import io.hatflow.core.run.CodeScope;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.RunDir;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.search.LatencyRange;
import io.hatflow.core.search.SearchConfig;
import io.hatflow.core.search.TargetBudgets;
import io.hatflow.core.spec.Spec;
import io.hatflow.model.train.Corpus;
import io.hatflow.model.train.SuperTransformerCheckpoint;
import io.hatflow.pipelines.search.SearchOutputs;
import io.hatflow.pipelines.search.SearchPipeline;
import io.hatflow.pipelines.search.SearchResult;
import io.hatflow.schemas.Evaluation;
import io.hatflow.transforms.io.Artifacts;
import io.hatflow.transforms.search.InheritedFitness;
import io.hatflow.transforms.search.PredictedLatency;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * search: HAT's evolutionary search for every (target, budget) of the spec (or, with {@code
 * search.mode: nsga2}, one NSGA-II search per target whose front yields every budget's winner) in
 * one Beam fan-out per generation, fitness = inherited-weight validation loss, latency = each
 * target's predictor. Each finished generation is a resume point; evaluations are stored under
 * {@code search/eval-store} keyed by the checkpoint digest and reused by later runs in the same
 * directory.
 */
public final class SearchStage implements Stage {
  public static final String NAME = "search";

  /**
   * The code this stage's outputs depend on (CodeScopeTest checks it covers everything the stage
   * reaches).
   */
  static final CodeScope SCOPE =
      TrainStage.SCOPE
          .plus(PredictorStage.SCOPE)
          .plus(
              new CodeScope(
                  List.of("io.hatflow.model.eval", "io.hatflow.pipelines.search"),
                  List.of("io.hatflow.pipelines.stages.SearchStage")));

  /**
   * search's outputs: winners (JSON, Avro, HAT YAML per winner), each target's Pareto points over
   * every evaluated config, the per-generation history, the hypervolume frame and values, NSGA-II's
   * final fronts, the summary, and every evaluated config (from the generations' state). The state
   * and evaluation store are the stage's own.
   */
  public record Outputs(Path dir) {
    /** In a run directory's local copy ({@link RunDir#dir()}). */
    public static Outputs at(Path runDir) {
      return new Outputs(runDir.resolve(NAME));
    }

    public static Outputs in(RunDir rd) {
      return at(rd.dir());
    }

    public Path winnersJson() {
      return dir.resolve(SearchOutputs.WINNERS_JSON);
    }

    public Path winnersAvro() {
      return dir.resolve(SearchOutputs.WINNERS_AVRO);
    }

    public Path paretoJson() {
      return dir.resolve(SearchOutputs.PARETO_JSON);
    }

    public Path historyJson() {
      return dir.resolve(SearchOutputs.HISTORY_JSON);
    }

    public Path hypervolumeJson() {
      return dir.resolve(SearchOutputs.HYPERVOLUME_JSON);
    }

    public Path summaryJson() {
      return dir.resolve(SearchOutputs.SUMMARY_JSON);
    }

    /**
     * Every distinct config the search evaluated (first sighting kept); unreadable files are added
     * to the list.
     */
    public Map<String, Evaluation> evaluations(List<String> unreadable) {
      return SearchOutputs.evaluated(state(), unreadable);
    }

    /** The generations' state: the search's resume points. */
    Path state() {
      return dir.resolve(SearchOutputs.STATE);
    }

    Path evalStore() {
      return dir.resolve(SearchOutputs.EVAL_STORE);
    }

    /** What audit must know of the folders the search keeps besides its recorded outputs. */
    public static Audit.Owned owned() {
      return new Audit.Owned(
          List.of(NAME + "/" + SearchOutputs.STATE + "/"),
          List.of(new Audit.SealedStore(NAME, NAME + "/" + SearchOutputs.EVAL_STORE + "/")));
    }
  }

  @Override
  public CodeScope codeScope() {
    return SCOPE;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> upstream() {
    return List.of(PrepareStage.NAME, TrainStage.NAME, PredictorStage.NAME);
  }

  @Override
  public String specSection(StageContext ctx) {
    Spec s = ctx.spec();
    // train.max_tokens sizes the fitness batches; train.label_smoothing is part of the fitness
    StringBuilder b =
        new StringBuilder(s.search().toString())
            .append(s.model().space())
            .append(s.train().maxTokens())
            .append(";label_smoothing=")
            .append(s.train().labelSmoothing());
    for (Spec.TargetSpec t : s.targets()) {
      b.append(t.name()).append(t.budgetsMs()).append(t.budgetsPct());
    }
    return b.toString();
  }

  /**
   * Places relative budgets in the target's predicted latency range (smallest and largest configs
   * plus a seeded sample), rounded to 0.01 ms so the search's budgets read like hand-written ones.
   */
  static List<Double> resolve(Spec spec, Spec.TargetSpec t, PredictedLatency latency) {
    LatencyRange r = LatencyRange.estimate(spec.model().space(), latency.open(), spec.seed(), 2000);
    List<Double> out = new ArrayList<>();
    for (double pct : t.budgetsPct()) {
      out.add(Math.round((r.minMs() + pct / 100.0 * (r.maxMs() - r.minMs())) * 100) / 100.0);
    }
    return out;
  }

  /** The search stage's settings, built from the spec once (its only source of defaults). */
  public static SearchConfig config(Spec spec) {
    Spec.SearchSpec s = spec.search();
    return SearchConfig.builder()
        .population(s.population())
        .parents(s.parents())
        .mutations(s.mutations())
        .crossovers(s.crossovers())
        .mutationProb(s.mutationProb())
        .generations(s.generations())
        .seed(spec.seed())
        .fitnessPrecision(Math.pow(10, -s.fitnessDecimals()))
        .maxSampleTries(s.maxSampleTries())
        .mode(s.searchMode())
        .hvReference(s.reference())
        .build();
  }

  @Override
  public boolean hasWorkToResume(StageContext ctx) {
    return nonEmpty(Outputs.in(ctx.runDir()).state()); // the finished generations
  }

  static boolean nonEmpty(Path dir) {
    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
      return s.findAny().isPresent();
    } catch (java.io.IOException e) {
      return false; // no such folder
    }
  }

  @Override
  public void run(StageContext ctx) {
    Spec spec = ctx.spec();
    RunDir rd = ctx.runDir();
    if (spec.targets().isEmpty()) {
      throw new UserInputException(
          "targets: the search needs at least one hardware target with budgets_ms");
    }
    Path checkpoint = TrainStage.Outputs.in(rd).checkpoint();
    PrepareStage.Outputs prepared = PrepareStage.Outputs.in(rd);
    PredictorStage.Outputs predictors = PredictorStage.Outputs.in(rd);
    String digest;
    try (SuperTransformerCheckpoint ck = SuperTransformerCheckpoint.load(checkpoint)) {
      ck.requireCompatible(spec.model().space(), TrainStage.vocabSize(prepared));
      digest = ck.digest();
    }
    // Workers open every artifact by its URI in the run directory and check it against these
    // digests.
    java.util.Set<String> verified = new java.util.HashSet<>();
    Artifacts.Ref checkpointRef = ref(ctx, verified, "checkpoint", checkpoint, false);
    List<Artifacts.Ref> valid = new ArrayList<>();
    for (Path shard : Corpus.shards(prepared.dir(), "valid")) {
      valid.add(ref(ctx, verified, "valid/" + shard.getFileName(), shard, false));
    }
    List<TargetBudgets> targets = new ArrayList<>();
    for (Spec.TargetSpec t : spec.targets()) {
      Path pred = predictors.predictor(t.name());
      if (!Files.isDirectory(pred)) {
        throw new UserInputException(
            "target "
                + t.name()
                + ": no latency predictor at "
                + pred
                + " (run the predictor stage first)");
      }
      PredictedLatency latency =
          new PredictedLatency(
              ref(ctx, verified, PredictorStage.NAME + "/" + t.name(), pred, true),
              spec.model().space().name());
      List<Double> budgets = t.relativeBudgets() ? resolve(spec, t, latency) : t.budgetsMs();
      if (t.relativeBudgets()) {
        ctx.log()
            .printf(
                "[search] %s: budgets %s%% of the predicted range -> %s ms%n",
                t.name(),
                t.budgetsPct(),
                budgets.stream()
                    .map(x -> String.format(java.util.Locale.ROOT, "%.2f", x))
                    .toList());
      }
      ctx.record().budgetsMs(t.name(), budgets);
      targets.add(new TargetBudgets(t.name(), latency, budgets));
    }
    InheritedFitness fitness =
        new InheritedFitness(
            checkpointRef,
            valid,
            spec.search().validSubset(),
            spec.train().maxTokens(),
            spec.search().threads(),
            spec.train().labelSmoothing());
    Outputs outputs = Outputs.in(rd);
    Path out = outputs.dir();
    String state = ctx.uri(outputs.state());
    String store = ctx.uri(outputs.evalStore());
    // A damaged cache entry stops the search before anything of the last one is deleted.
    io.hatflow.pipelines.search.StoreSeals.verified(store, new ArrayList<>());
    if (!ctx.resume()) {
      // A fresh (not resumed) search breeds again from generation 0; evaluated fitness stays in the
      // store.
      SearchPipeline.deleteState(state);
      io.hatflow.core.run.AtomicFiles.deleteTree(outputs.state());
    }
    SearchResult r =
        SearchPipeline.run(
            config(spec),
            spec.model().space(),
            targets,
            fitness,
            digest,
            out,
            state,
            store,
            SearchPipeline.GENERATIONS_PER_JOB,
            ctx.options(),
            g -> ctx.log().println("[search] " + g.line()));
    rd.refresh(NAME); // the state and store the workers wrote at home, for audit and the report
    for (String w : r.warnings()) {
      ctx.log().println("[search] warning: " + w);
    }
    ctx.record()
        .counts()
        .put("candidates", r.candidates())
        .put("distinct_configs", r.distinctConfigs())
        .put("fitness_evaluations", r.fitnessEvaluations())
        .put("winners", r.winners().size())
        .put("warnings", r.warnings().size())
        .put("checkpoint_digest", digest);
    // The hypervolume's frame (reference point, normalisation bounds) and final values, as
    // hypervolume.json has them.
    ctx.record().hypervolume(SearchPipeline.hypervolumeJson(out));
    for (String f : SearchOutputs.RECORDED) {
      if (Files.exists(out.resolve(f))) {
        ctx.record().output(f, out.resolve(f));
      }
    }
  }

  /**
   * An artifact of this run as workers must open it (its run-directory URI), recorded as a search
   * input with its digest; {@code verified} holds the upstream outputs already checked against
   * their records.
   */
  private static Artifacts.Ref ref(
      StageContext ctx, java.util.Set<String> verified, String name, Path local, boolean folder) {
    String rel =
        ctx.runDir()
            .dir()
            .toAbsolutePath()
            .relativize(local.toAbsolutePath())
            .toString()
            .replace('\\', '/');
    String sha = folder ? Digests.sha256Tree(local) : Digests.sha256(local);
    checkRecorded(ctx, rel, verified);
    ctx.record().input(name, Artifact.used(rel, sha));
    return new Artifacts.Ref(ctx.runDir().uri(rel), sha, folder);
  }

  /**
   * Refuses an artifact that no longer matches what its stage recorded (changed on the distributed
   * filesystem after the stage finished): the recorded output that holds {@code rel} is digested
   * again and compared.
   */
  private static void checkRecorded(StageContext ctx, String rel, java.util.Set<String> verified) {
    for (String up : List.of(PrepareStage.NAME, TrainStage.NAME, PredictorStage.NAME)) {
      for (Artifact o : ctx.runDir().manifest().stage(up).outputs().values()) {
        String p = o.path();
        if (rel.equals(p) || rel.startsWith(p + "/")) {
          if (!verified.add(p)) {
            return;
          }
          String now = Digests.sha256Tree(ctx.runDir().dir().resolve(p));
          if (!now.equals(o.sha256())) {
            throw new Artifacts.DigestMismatchException(
                ctx.runDir().uri(p)
                    + ": does not match the digest the "
                    + up
                    + " stage recorded (recorded "
                    + o.sha256().substring(0, 12)
                    + ", found "
                    + now.substring(0, 12)
                    + "): it changed after "
                    + up
                    + " finished; not used. Re-run "
                    + up
                    + " (hatflow run --from "
                    + up
                    + " --force "
                    + up
                    + ")");
          }
          return;
        }
      }
    }
  }
}
