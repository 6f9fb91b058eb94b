package io.hatflow.core.spec;

import io.hatflow.core.search.Hypervolume;
import io.hatflow.core.search.Nsga2;
import io.hatflow.core.search.SearchMode;
import io.hatflow.core.space.SearchSpace;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A versioned run spec (version 1), fully validated. Every key has a default here or is required;
 * the defaults are the documented ones (README, launch/specs/*.yaml).
 */
public record Spec(
    int version,
    String name,
    long seed,
    DataSpec data,
    ModelSpec model,
    TrainSpec train,
    List<TargetSpec> targets,
    SearchSpec search,
    FinalizeSpec finalizeSpec,
    ReportSpec report) {

  public static final int VERSION = 1;

  static Spec from(SpecNode root, Path baseDir) {
    root.only(
        "version",
        "name",
        "seed",
        "data",
        "model",
        "train",
        "targets",
        "search",
        "finalize",
        "report");
    int version = root.integer("version", 1, Integer.MAX_VALUE, null);
    if (version != VERSION) {
      throw root.at("version")
          .error("this hatflow reads spec version " + VERSION + "; got " + version);
    }
    String name = root.string("name", null);
    if (!Names.valid(name)) {
      throw root.at("name").error(Names.problem(name));
    }
    long seed = root.longInt("seed", 0, Long.MAX_VALUE, 1L);
    DataSpec data = DataSpec.from(root.section("data"), baseDir);
    ModelSpec model = ModelSpec.from(root.sectionOrEmpty("model"));
    TrainSpec train = TrainSpec.from(root.sectionOrEmpty("train"), baseDir);
    List<TargetSpec> targets =
        root.has("targets")
            ? root.list("targets", true, null, n -> TargetSpec.from(n, baseDir))
            : List.of();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < targets.size(); i++) {
      if (!names.add(targets.get(i).name())) {
        throw root.list("targets", true)
            .get(i)
            .at("name")
            .error("duplicate target name \"" + targets.get(i).name() + "\"");
      }
    }
    SearchSpec search = SearchSpec.from(root.sectionOrEmpty("search"));
    FinalizeSpec finalize = FinalizeSpec.from(root.sectionOrEmpty("finalize"), model.space());
    ReportSpec report = ReportSpec.from(root.sectionOrEmpty("report"));
    return new Spec(version, name, seed, data, model, train, targets, search, finalize, report);
  }

  /**
   * Resolves a spec path against the spec's directory; {@code gs://} and absolute paths stay as
   * given.
   */
  static String resolve(SpecNode n, Path baseDir) {
    String p = n.asString();
    if (p.isBlank()) {
      throw n.error("expected a path, got an empty string");
    }
    if (p.contains("://") || baseDir == null) {
      return p;
    }
    return baseDir.resolve(p).normalize().toString();
  }

  /**
   * A parallel corpus: aligned {@code src}/{@code tgt} files, or one {@code tsv} file of src TAB
   * tgt.
   */
  public record Corpus(String src, String tgt, String tsv) {
    static Corpus from(SpecNode n, Path baseDir) {
      n.only("src", "tgt", "tsv");
      if (n.has("tsv")) {
        if (n.has("src") || n.has("tgt")) {
          throw n.error("give either tsv or src and tgt, not both");
        }
        return new Corpus(null, null, resolve(n.at("tsv"), baseDir));
      }
      return new Corpus(resolve(n.at("src"), baseDir), resolve(n.at("tgt"), baseDir), null);
    }

    public boolean isTsv() {
      return tsv != null;
    }
  }

  public record DataSpec(
      Corpus train,
      Corpus valid,
      Corpus test,
      int validSize,
      int testSize,
      int vocabSize,
      String vocabFrom,
      int maxTokens,
      double maxRatio,
      int shards) {
    static DataSpec from(SpecNode n, Path baseDir) {
      n.only(
          "train",
          "valid",
          "test",
          "valid_size",
          "test_size",
          "vocab",
          "max_tokens",
          "max_ratio",
          "shards");
      Corpus train = Corpus.from(n.section("train"), baseDir);
      Corpus valid = n.has("valid") ? Corpus.from(n.section("valid"), baseDir) : null;
      Corpus test = n.has("test") ? Corpus.from(n.section("test"), baseDir) : null;
      SpecNode vocab = n.sectionOrEmpty("vocab").only("size", "from");
      String from = vocab.has("from") ? resolve(vocab.at("from"), baseDir) : null;
      if (from != null && vocab.has("size")) {
        throw vocab.error("give either size (learn a vocabulary) or from (reuse one), not both");
      }
      return new DataSpec(
          train,
          valid,
          test,
          n.integer("valid_size", 1, 10_000_000, 500),
          n.integer("test_size", 1, 10_000_000, 500),
          vocab.integer("size", 256, 1_000_000, 8000),
          from,
          n.integer("max_tokens", 1, 100_000, 256),
          n.number("max_ratio", 1.0, 1000.0, 1.5),
          n.integer("shards", 1, 100_000, 4));
    }
  }

  public record ModelSpec(
      SearchSpace space, double dropout, double attentionDropout, double activationDropout) {
    static ModelSpec from(SpecNode n) {
      n.only("space", "dropout", "attention_dropout", "activation_dropout");
      SearchSpace space = n.has("space") ? space(n.at("space")) : SearchSpace.preset("tiny");
      return new ModelSpec(
          space,
          n.number("dropout", 0, 0.9, 0.1),
          n.number("attention_dropout", 0, 0.9, 0.1),
          n.number("activation_dropout", 0, 0.9, 0.0));
    }

    /** A preset name, or a section of genes with their choices plus {@code qkv_dim}. */
    public static SearchSpace space(SpecNode n) {
      if (n.isScalar()) {
        String name = n.asString();
        if (!SearchSpace.PRESETS.contains(name)) {
          throw n.error(
              "unknown search space preset \""
                  + name
                  + "\" (known: "
                  + String.join(", ", SearchSpace.PRESETS)
                  + ")");
        }
        return SearchSpace.preset(name);
      }
      List<String> known = new ArrayList<>(SearchSpace.GENE_NAMES);
      known.addAll(SearchSpace.OPTIONAL_GENES);
      known.add("qkv_dim");
      known.add("name");
      n.only(known.toArray(String[]::new));
      int qkv = n.integer("qkv_dim", 1, 1 << 16, null);
      Map<String, List<Integer>> genes = new LinkedHashMap<>();
      for (String g : SearchSpace.GENE_NAMES) {
        genes.put(g, n.list(g, true, null, item -> item.asInt(-1, 1 << 20)));
      }
      // Primer's optional genes: activations by name, kernel widths as numbers
      for (String g : SearchSpace.OPTIONAL_GENES) {
        if (n.has(g)) {
          genes.put(
              g,
              n.list(
                  g,
                  true,
                  null,
                  g.endsWith("_activation")
                      ? item -> activation(g, item)
                      : item -> item.asInt(-1, 1 << 20)));
        }
      }
      List<String> problems = SearchSpace.problems(qkv, genes);
      if (!problems.isEmpty()) {
        String p = problems.get(0);
        String gene = p.substring(0, p.indexOf(':'));
        SpecNode at = n.has(gene) ? n.at(gene) : n;
        throw at.error(p.substring(p.indexOf(':') + 2));
      }
      return new SearchSpace(n.string("name", "custom"), qkv, genes);
    }

    private static int activation(String gene, SpecNode item) {
      try {
        return io.hatflow.core.space.Activation.byName(gene, item.asString()).ordinal();
      } catch (io.hatflow.core.run.UserInputException e) {
        throw item.error(
            e.getMessage().substring(gene.length() + 2)); // the node's path names the gene
      }
    }
  }

  public record TrainSpec(
      int steps,
      int maxTokens,
      double lr,
      int warmupSteps,
      String schedule,
      double clipNorm,
      int gradAccum,
      double labelSmoothing,
      int checkpointEvery,
      int extremesEvery,
      int threads,
      String fromRun) {
    static TrainSpec from(SpecNode n, Path baseDir) {
      if (n.has("extremes_every") && n.integer("extremes_every", 0, 100_000_000, 0) == 1) {
        throw n.at("extremes_every")
            .error("expected 0 (HAT: one random SubTransformer per step) or >= 2, got 1");
      }
      n.only(
          "steps",
          "max_tokens",
          "lr",
          "warmup_steps",
          "schedule",
          "clip_norm",
          "grad_accum",
          "label_smoothing",
          "checkpoint_every",
          "extremes_every",
          "threads",
          "from_run");
      return new TrainSpec(
          n.integer("steps", 1, 100_000_000, 2000),
          n.integer("max_tokens", 16, 10_000_000, 4096),
          n.number("lr", 1e-9, 10.0, 1e-3),
          n.integer("warmup_steps", 0, 100_000_000, 400),
          n.choice("schedule", List.of("inverse_sqrt", "cosine"), "inverse_sqrt"),
          n.number("clip_norm", 0.0, 1e6, 1.0),
          n.integer("grad_accum", 1, 1024, 1),
          n.number("label_smoothing", 0.0, 0.99, 0.1),
          n.integer("checkpoint_every", 1, 100_000_000, 500),
          n.integer("extremes_every", 0, 100_000_000, 4),
          n.integer("threads", 0, 1024, 0),
          n.has("from_run") ? resolve(n.at("from_run"), baseDir) : null);
    }
  }

  /** How a target's latency is known: an imported HAT CSV, or measured on this machine. */
  public record LatencySource(String dataset, Measure measure) {
    public boolean measured() {
      return measure != null;
    }
  }

  /**
   * HAT's measurement protocol settings; {@code srcTokens} 0 means 30, or 23 for IWSLT-like spaces.
   * {@code runs} is the minimum of timed runs, {@code maxRuns} the most (timing stops once the
   * trimmed mean's 95% interval is within ±2%); {@code max_runs} defaults to {@link
   * #defaultMaxRuns}.
   */
  public record Measure(
      int samples,
      int runs,
      int warmup,
      int threads,
      int srcTokens,
      int beam,
      SearchSpace space,
      int maxRuns) {
    /** HAT's protocol without the adaptive part: exactly {@code runs}. */
    public Measure(
        int samples,
        int runs,
        int warmup,
        int threads,
        int srcTokens,
        int beam,
        SearchSpace space) {
      this(samples, runs, warmup, threads, srcTokens, beam, space, runs);
    }

    /**
     * 4x the minimum, at most HAT's 300 (and never below the minimum): a row of 5% per-run noise
     * needs about (1.96 * 5 / 2)^2 = 24 runs for ±2%, which the demo's runs: 6 reaches; timing
     * costs at most 4x the fixed protocol's, and only on a quiet machine (a busy one times the
     * minimum).
     */
    public static int defaultMaxRuns(int runs) {
      return Math.max(runs, Math.min(4 * runs, 300));
    }
  }

  /**
   * A hardware target. Budgets are absolute ({@code budgets_ms}, as HAT) or placed within the
   * target's predicted latency range ({@code budgets_pct}: 0 = the fastest SubTransformer, 100 =
   * the slowest), which keeps a spec meaningful on machines of any speed; the search records the
   * budgets it resolved.
   */
  public record TargetSpec(
      String name,
      LatencySource latency,
      List<Double> budgetsMs,
      List<Double> budgetsPct,
      String predictorModel,
      long predictorSeed,
      String engine,
      Transfer transfer) {
    /**
     * The runtimes a target's latency can be measured on: DJL, or the model's ONNX export on ONNX
     * Runtime.
     */
    public static final List<String> ENGINES = List.of("djl", "onnx-fp32", "onnx-int8");

    /**
     * How many configs a target with {@code latency.transfer_from} measures unless {@code
     * transfer_rows} says.
     */
    public static final int DEFAULT_TRANSFER_ROWS = 20;

    public TargetSpec(
        String name,
        LatencySource latency,
        List<Double> budgetsMs,
        List<Double> budgetsPct,
        String predictorModel,
        long predictorSeed,
        String engine) {
      this(name, latency, budgetsMs, budgetsPct, predictorModel, predictorSeed, engine, null);
    }

    /**
     * Stage fingerprints hash this text: a target without transfer reads exactly as before the
     * field existed.
     */
    @Override
    public String toString() {
      return "TargetSpec[name="
          + name
          + ", latency="
          + latency
          + ", budgetsMs="
          + budgetsMs
          + ", budgetsPct="
          + budgetsPct
          + ", predictorModel="
          + predictorModel
          + ", predictorSeed="
          + predictorSeed
          + ", engine="
          + engine
          + (transfer == null ? "" : ", transfer=" + transfer)
          + "]";
    }

    public boolean relativeBudgets() {
      return budgetsPct != null;
    }

    static TargetSpec from(SpecNode n, Path baseDir) {
      n.only("name", "latency", "budgets_ms", "budgets_pct", "predictor", "engine");
      String name = n.string("name", null);
      if (!Names.valid(name)) {
        throw n.at("name").error(Names.problem(name));
      }
      SpecNode l =
          n.section("latency").only("dataset", "measure", "transfer_from", "transfer_rows");
      Transfer transfer = null;
      if (l.has("transfer_from")) {
        transfer =
            new Transfer(
                l.list("transfer_from", true, null, p -> resolve(p, baseDir)),
                l.integer("transfer_rows", 4, 1_000_000, DEFAULT_TRANSFER_ROWS));
        if (l.has("measure") && l.sectionOrEmpty("measure").has("samples")) {
          throw l.at("measure")
              .at("samples")
              .error(
                  "with transfer_from the target measures transfer_rows configs"
                      + " (default "
                      + DEFAULT_TRANSFER_ROWS
                      + "); give transfer_rows instead of samples");
        }
      } else if (l.has("transfer_rows")) {
        throw l.at("transfer_rows")
            .error("transfer_rows needs transfer_from (the other devices' latency sets)");
      }
      LatencySource src;
      if (l.has("dataset") == l.has("measure")) {
        throw l.error("give exactly one of dataset (a HAT latency CSV) or measure (time it here)");
      } else if (l.has("dataset")) {
        src = new LatencySource(resolve(l.at("dataset"), baseDir), null);
      } else {
        SpecNode m =
            l.sectionOrEmpty("measure")
                .only(
                    "samples",
                    "runs",
                    "warmup",
                    "threads",
                    "src_tokens",
                    "beam",
                    "space",
                    "max_runs");
        int runs = m.integer("runs", 2, 100_000, 20);
        int maxRuns = m.integer("max_runs", 2, 100_000, Measure.defaultMaxRuns(runs));
        if (maxRuns < runs) {
          throw m.at("max_runs").error("expected at least runs (" + runs + "), got " + maxRuns);
        }
        src =
            new LatencySource(
                null,
                new Measure(
                    transfer != null ? transfer.rows() : m.integer("samples", 1, 1_000_000, 200),
                    runs,
                    m.integer("warmup", 0, 100_000, 5),
                    m.integer("threads", 1, 1024, 1),
                    m.integer("src_tokens", 0, 4096, 0),
                    m.integer("beam", 1, 64, 5),
                    m.has("space") ? ModelSpec.space(m.at("space")) : null,
                    maxRuns));
      }
      if (n.has("budgets_ms") == n.has("budgets_pct")) {
        throw n.error(
            "give exactly one of budgets_ms (latency budgets in ms) or budgets_pct (positions in the "
                + "target's predicted latency range, 0-100)");
      }
      List<Double> budgets =
          n.has("budgets_ms") ? n.list("budgets_ms", true, null, b -> b.asNumber(1e-6, 1e9)) : null;
      List<Double> pct =
          n.has("budgets_pct") ? n.list("budgets_pct", true, null, b -> b.asNumber(0, 100)) : null;
      SpecNode p = n.sectionOrEmpty("predictor").only("model", "seed");
      return new TargetSpec(
          name,
          src,
          budgets,
          pct,
          p.string("model", "default"),
          p.longInt("seed", 0, Long.MAX_VALUE, 1L),
          n.choice("engine", ENGINES, "djl"),
          transfer);
    }
  }

  /**
   * A target whose predictor is fitted by transfer: {@code from}, latency sets of other devices of
   * the same space (resolved paths or URIs); {@code rows}, how many of the target's own rows it
   * uses (and, when measured, how many configs are timed).
   */
  public record Transfer(List<String> from, int rows) {
    public Transfer {
      from = List.copyOf(from);
    }
  }

  /**
   * search: HAT's evolution sizes, plus {@code mode} ({@code hat}: one search per target and
   * budget; {@code nsga2}: one NSGA-II search per target, winners picked from its front) and {@code
   * hv_reference}, the hypervolume's reference point [loss, latency] in normalised objective space
   * (each > 1).
   */
  public record SearchSpec(
      int population,
      int parents,
      int mutations,
      double mutationProb,
      int crossovers,
      int generations,
      int validSubset,
      int fitnessDecimals,
      int maxSampleTries,
      int threads,
      String mode,
      List<Double> hvReference) {
    static SearchSpec from(SpecNode n) {
      n.only(
          "population",
          "parents",
          "mutations",
          "mutation_prob",
          "crossovers",
          "generations",
          "valid_subset",
          "fitness_decimals",
          "max_sample_tries",
          "threads",
          "mode",
          "hv_reference");
      Hypervolume.Reference d = Hypervolume.Reference.DEFAULT;
      SearchSpec s =
          new SearchSpec(
              n.integer("population", 2, 1_000_000, 125),
              n.integer("parents", 1, 1_000_000, 25),
              n.integer("mutations", 0, 1_000_000, 50),
              n.number("mutation_prob", 0.0, 1.0, 0.3),
              n.integer("crossovers", 0, 1_000_000, 50),
              n.integer("generations", 1, 100_000, 30),
              n.integer("valid_subset", 1, 10_000_000, 500),
              n.integer("fitness_decimals", 1, 9, 4),
              n.integer("max_sample_tries", 1, 100_000_000, 10_000),
              n.integer("threads", 1, 1024, 1),
              n.choice("mode", List.of("hat", "nsga2"), "hat"),
              n.list(
                  "hv_reference",
                  true,
                  List.of(d.loss(), d.latency()),
                  b -> b.asNumber(-1e9, 1e9)));
      if (s.parents > s.population) {
        throw (n.has("parents") ? n.at("parents") : n)
            .error("parents (" + s.parents + ") must not exceed population (" + s.population + ")");
      }
      if (s.searchMode() == SearchMode.NSGA2 && s.population < Nsga2.MIN_POPULATION) {
        throw (n.has("population") ? n.at("population") : n)
            .error(
                "mode nsga2 needs a population of at least "
                    + Nsga2.MIN_POPULATION
                    + " (tournaments and crowding distances), got "
                    + s.population);
      }
      if (s.hvReference.size() != 2) {
        throw n.at("hv_reference")
            .error(
                "expected two numbers [loss, latency] in normalised objective space, got "
                    + s.hvReference.size());
      }
      String bad = s.reference().problem();
      if (bad != null) {
        throw n.at("hv_reference").error(bad.substring(bad.indexOf(": ") + 2));
      }
      return s;
    }

    public SearchMode searchMode() {
      return SearchMode.of(mode);
    }

    public Hypervolume.Reference reference() {
      return new Hypervolume.Reference(hvReference.get(0), hvReference.get(1));
    }
  }

  /**
   * finalize: train each winner as one fixed SubTransformer. {@code lr} and {@code warmupSteps} are
   * null when the spec leaves them to their mode's default (see {@code FinalizeStage.config}):
   * where train's schedule ended, constant after a short warm-up, for {@code inherit}
   * (fine-tuning); train.lr and train's schedule for {@code scratch} (HAT's final training). {@code
   * export}: each model also as ONNX (fp32 and int8), its winners scored and timed on ONNX Runtime
   * beside DJL. {@code update}: which weights fine-tuning updates (PockEngine-style sparse
   * fine-tuning): {@code all}; {@code bias} (bias and layer-norm shift vectors); {@code last_k}
   * (the {@code updateLayers} layers nearest the output); {@code auto} (layers picked by a probe,
   * under {@code updateBudget}, a fraction of the full backward time). {@code updateLayers} /
   * {@code updateBudget} are null unless their mode is chosen.
   */
  public record FinalizeSpec(
      String mode,
      int steps,
      int randomSubnets,
      int beam,
      double lenpen,
      int checkpointEvery,
      Double lr,
      Integer warmupSteps,
      boolean export,
      String update,
      Integer updateLayers,
      Double updateBudget) {
    public static final List<String> UPDATES = List.of("all", "bias", "last_k", "auto");

    static FinalizeSpec from(SpecNode n, SearchSpace space) {
      n.only(
          "mode",
          "steps",
          "random_subnets",
          "beam",
          "lenpen",
          "checkpoint_every",
          "lr",
          "warmup_steps",
          "export",
          "update",
          "update_layers",
          "update_budget");
      String update = n.choice("update", UPDATES, "all");
      if (n.has("update_layers") && !update.equals("last_k")) {
        throw n.at("update_layers").error("only read with finalize.update: last_k, not " + update);
      }
      if (n.has("update_budget") && !update.equals("auto")) {
        throw n.at("update_budget").error("only read with finalize.update: auto, not " + update);
      }
      int layers = space.maxEncoderLayers() + space.maxDecoderLayers();
      Integer updateLayers =
          update.equals("last_k") ? n.integer("update_layers", 1, 1_000_000, 2) : null;
      if (updateLayers != null && updateLayers > layers) {
        throw n.at("update_layers")
            .error(
                "expected at most the model's "
                    + layers
                    + " layers (space "
                    + space.name()
                    + ": "
                    + space.maxEncoderLayers()
                    + " encoder + "
                    + space.maxDecoderLayers()
                    + " decoder), got "
                    + updateLayers);
      }
      Double updateBudget = update.equals("auto") ? n.number("update_budget", 0.0, 1.0, 0.3) : null;
      if (updateBudget != null && updateBudget <= 0) {
        throw n.at("update_budget")
            .error(
                "expected a fraction of the full backward cost in (0, 1], got "
                    + n.at("update_budget").asString());
      }
      FinalizeSpec f =
          new FinalizeSpec(
              n.choice("mode", List.of("inherit", "scratch"), "inherit"),
              n.integer("steps", 0, 100_000_000, 200),
              n.integer("random_subnets", 0, 10_000, 4),
              n.integer("beam", 1, 64, 4),
              n.number("lenpen", 0.0, 10.0, 0.6),
              n.integer("checkpoint_every", 1, 100_000_000, 100),
              n.has("lr") ? n.at("lr").asNumber(1e-9, 10.0) : null,
              n.has("warmup_steps") ? n.at("warmup_steps").asInt(0, 100_000_000) : null,
              n.bool("export", true),
              update,
              updateLayers,
              updateBudget);
      if (f.warmupSteps != null && f.warmupSteps > Math.max(1, f.steps)) {
        throw n.at("warmup_steps")
            .error(
                "expected at most finalize.steps ("
                    + f.steps
                    + ") warm-up steps, got "
                    + f.warmupSteps);
      }
      if (!update.equals("all") && f.mode.equals("scratch")) {
        throw n.at("update")
            .error(
                "sparse fine-tuning ("
                    + update
                    + ") needs finalize.mode: inherit: random"
                    + " weights frozen stay random");
      }
      return f;
    }
  }

  public record ReportSpec(String title) {
    static ReportSpec from(SpecNode n) {
      n.only("title");
      return new ReportSpec(n.optString("title"));
    }
  }
}
