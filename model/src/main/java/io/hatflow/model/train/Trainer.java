package io.hatflow.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.transformer.Scalars;
import io.hatflow.model.transformer.SuperTransformer;
import io.hatflow.model.transformer.Threads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Trains a SuperTransformer as HAT does: each update samples one SubTransformer (see {@link
 * TrainConfig#sandwichEvery()}) and trains its slice of the shared weights.
 *
 * <p>Determinism and resume: everything random is a function of (seed, step), not of a running
 * generator: the SubTransformer of update s comes from {@code Random(seed, s)}, batch order of
 * epoch e from {@code Random(seed, e)}, and libtorch's dropout generator is re-seeded before every
 * micro-batch. A checkpoint therefore needs only weights, Adam moments and the step, and a resumed
 * run repeats the uninterrupted one exactly (same thread count). Only one training may run per JVM
 * at a time (DJL's gradient collector is global).
 */
public final class Trainer {
  /**
   * A total gradient norm (per-token loss) above this is garbage, not a gradient: that update is
   * skipped.
   */
  static final double MAX_GRAD_NORM = 1e6;

  private Trainer() {}

  /** A progress report, every {@link TrainConfig#logEvery()} updates and at the end. */
  public record Progress(
      long step,
      int steps,
      double loss,
      double tokensPerSecond,
      double etaSeconds,
      double lr,
      String config) {
    public String line() {
      return String.format(
          Locale.ROOT,
          "step %d/%d loss %.4f lr %.3g tok/s %.0f eta %.0fs %s",
          step,
          steps,
          loss,
          lr,
          tokensPerSecond,
          etaSeconds,
          config);
    }
  }

  public interface Listener {
    void onProgress(Progress p);
  }

  /**
   * What a training run left: the checkpoint file and its digest; with a {@link Validation}, the
   * best validated step ({@code bestStep} 0: nothing beat the starting weights, {@code best} is
   * then null), else -1.
   */
  public record Result(
      Path checkpoint,
      String digest,
      long steps,
      double lastLoss,
      long bestStep,
      double bestLoss,
      Path best,
      Cost cost) {
    Result(Path checkpoint, String digest, long steps, double lastLoss, Cost cost) {
      this(checkpoint, digest, steps, lastLoss, -1, Double.NaN, null, cost);
    }
  }

  /**
   * What the updates of this process cost: median wall time of an update and of its backward passes
   * (validation and checkpoints excluded), the largest resident set sampled between a forward and
   * its backward (Linux; -1 elsewhere, or when no update ran), and the updated parameters (each
   * also holds a gradient and two Adam moments). NaN times when no update ran.
   */
  public record Cost(double stepMs, double backwardMs, long peakRssBytes, long updatedParams) {}

  /**
   * Validation during training: every {@code every} updates (and at the end) {@code loss} scores
   * the model in eval mode; the best one is kept as {@value #BEST} beside the checkpoint. {@code
   * startLoss} is the starting weights' loss (step 0), so a run that only makes the model worse
   * keeps step 0 (infinite: never keep it).
   */
  public record Validation(
      java.util.function.ToDoubleFunction<SuperTransformer> loss, int every, double startLoss) {
    public Validation {
      if (every < 1) {
        throw new IllegalArgumentException("validation every must be >= 1, got " + every);
      }
    }
  }

  /**
   * The best validated weights of a run with a {@link Validation}, and its step and loss beside
   * them.
   */
  public static final String BEST = "best.hfc";

  static final String BEST_JSON = "best.json";

  /**
   * Trains on {@code <shardsDir>/train-*.avro}, writing {@code <outDir>/checkpoint.hfc} every
   * {@code checkpointEvery} updates and at the end, and {@code <outDir>/train.log}. With {@code
   * resume}, continues from the checkpoint in {@code outDir} (which must match the space,
   * vocabulary size and seed).
   */
  public static Result train(
      TrainConfig cfg,
      SearchSpace space,
      int vocabSize,
      Path shardsDir,
      Path outDir,
      boolean resume,
      Listener listener) {
    return run(cfg, space, vocabSize, shardsDir, outDir, resume, listener, null, null);
  }

  /**
   * Trains one fixed SubTransformer (HAT's final training of a winner): every update trains {@code
   * fixed}. {@code space} gives the model's shape ({@code space.largest()}, which must contain
   * {@code fixed}) and is recorded in the checkpoint for resume. {@code initial}, when not null,
   * makes the starting weights (in the given manager, shaped as {@code space.largest()}), e.g.
   * sliced from a trained SuperTransformer; null starts from random weights. Checkpoints and resume
   * as {@link #train}.
   */
  public static Result trainFixed(
      TrainConfig cfg,
      SearchSpace space,
      SubConfig fixed,
      java.util.function.Function<NDManager, SuperTransformer> initial,
      int vocabSize,
      Path shardsDir,
      Path outDir,
      boolean resume,
      Listener listener) {
    return trainFixed(
        cfg, space, fixed, initial, vocabSize, shardsDir, outDir, resume, listener, null);
  }

  /**
   * {@link #trainFixed} that validates as it goes and keeps the best weights ({@code validation}
   * may be null).
   */
  public static Result trainFixed(
      TrainConfig cfg,
      SearchSpace space,
      SubConfig fixed,
      java.util.function.Function<NDManager, SuperTransformer> initial,
      int vocabSize,
      Path shardsDir,
      Path outDir,
      boolean resume,
      Listener listener,
      Validation validation) {
    return trainFixed(
        cfg,
        space,
        fixed,
        initial,
        vocabSize,
        shardsDir,
        outDir,
        resume,
        listener,
        validation,
        Trainable.ALL);
  }

  /**
   * {@link #trainFixed} updating only the {@code trainable} weights (the others stay as {@code
   * initial} made them).
   */
  public static Result trainFixed(
      TrainConfig cfg,
      SearchSpace space,
      SubConfig fixed,
      java.util.function.Function<NDManager, SuperTransformer> initial,
      int vocabSize,
      Path shardsDir,
      Path outDir,
      boolean resume,
      Listener listener,
      Validation validation,
      Trainable trainable) {
    if (!space.contains(fixed)) {
      throw new UserInputException(
          "config " + fixed.key() + " is not in the space " + space.name());
    }
    return run(
        cfg,
        space,
        vocabSize,
        shardsDir,
        outDir,
        resume,
        listener,
        fixed,
        initial,
        validation,
        trainable);
  }

  private static Result run(
      TrainConfig cfg,
      SearchSpace space,
      int vocabSize,
      Path shardsDir,
      Path outDir,
      boolean resume,
      Listener listener,
      SubConfig fixed,
      java.util.function.Function<NDManager, SuperTransformer> initial) {
    return run(
        cfg,
        space,
        vocabSize,
        shardsDir,
        outDir,
        resume,
        listener,
        fixed,
        initial,
        null,
        Trainable.ALL);
  }

  private static Result run(
      TrainConfig cfg,
      SearchSpace space,
      int vocabSize,
      Path shardsDir,
      Path outDir,
      boolean resume,
      Listener listener,
      SubConfig fixed,
      java.util.function.Function<NDManager, SuperTransformer> initial,
      Validation validation,
      Trainable trainable) {
    Threads.useIntraOp(cfg.threads());
    List<Corpus.Pair> pairs = Corpus.read(shardsDir, "train");
    checkIds(pairs, vocabSize, shardsDir);
    List<Batch> batches = Corpus.batches(pairs, cfg.maxTokens());
    Path ckFile = outDir.resolve(SuperTransformerCheckpoint.FILE_NAME);
    try {
      Files.createDirectories(outDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + outDir, e);
    }
    try (NDManager manager = NDManager.newBaseManager();
        Writer log =
            Files.newBufferedWriter(
                outDir.resolve("train.log"),
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                resume ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
      SuperTransformer model;
      Adam adam;
      long start = 0;
      SuperTransformerCheckpoint ck = null;
      if (resume && Files.exists(ckFile)) {
        ck = SuperTransformerCheckpoint.load(ckFile, manager);
        ck.requireCompatible(space, vocabSize);
        if (ck.seed() != cfg.seed()) {
          throw new SuperTransformerCheckpoint.MismatchedCheckpointException(
              "checkpoint "
                  + ckFile
                  + " was trained with seed "
                  + ck.seed()
                  + ", not "
                  + cfg.seed());
        }
        if (ck.adamM() == null) {
          throw new SuperTransformerCheckpoint.MismatchedCheckpointException(
              "checkpoint " + ckFile + " has no optimizer state: cannot resume");
        }
        model = ck.model();
        adam =
            new Adam(updated(model, trainable), cfg.beta1(), cfg.beta2(), ck.adamM(), ck.adamV());
        start = ck.step();
        log.write("resumed from step " + start + " (" + ck.digest() + ")\n");
      } else if (initial != null) {
        model = initial.apply(manager);
        adam = new Adam(updated(model, trainable), model.manager(), cfg.beta1(), cfg.beta2());
      } else {
        model =
            SuperTransformer.create(
                manager, space.largest(), space.qkvDim(), vocabSize, cfg.dropouts(), cfg.seed());
        adam = new Adam(updated(model, trainable), model.manager(), cfg.beta1(), cfg.beta2());
      }
      List<NDArray> params = updated(model, trainable);
      for (NDArray p : params) {
        p.setRequiresGradient(true);
      }
      if (!trainable.isAll()) {
        log.write(
            "updating "
                + trainable.mode()
                + (trainable.layers().isEmpty() ? "" : " " + trainable.layers())
                + ": "
                + params.stream().mapToLong(NDArray::size).sum()
                + " of "
                + model.weights().numel()
                + " parameters\n");
      }
      List<Double> stepMs = new ArrayList<>();
      List<Double> backwardMs = new ArrayList<>();
      long[] peakRss = {-1};
      log.write(
          "train "
              + pairs.size()
              + " pairs in "
              + batches.size()
              + " batches, space "
              + space.name()
              + ", vocab "
              + vocabSize
              + ", "
              + cfg
              + "\n");
      // best so far: step 0 (the starting weights) unless an earlier part of this run, resumed, did
      // better
      long bestStep = 0;
      double bestLoss = validation == null ? Double.NaN : validation.startLoss();
      if (validation != null && resume && Files.exists(outDir.resolve(BEST_JSON)) && start > 0) {
        String[] kept = Files.readString(outDir.resolve(BEST_JSON)).trim().split(" ");
        bestStep = Long.parseLong(kept[0]);
        bestLoss = Double.parseDouble(kept[1]);
      }
      long t0 = System.nanoTime();
      long tokens = 0;
      double lastLoss = Double.NaN;
      int skipped = 0;
      int skippedInARow = 0;
      for (long step = start; step < cfg.steps(); step++) {
        SubConfig c = fixed != null ? fixed : sampleConfig(cfg, space, step);
        List<Batch> micro = microBatches(cfg, batches, step);
        int stepTokens = targetTokens(micro);
        double lossSum = 0;
        long stepStart = System.nanoTime();
        long backwardNs = 0;
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          NDManager sm = manager.newSubManager();
          double[] lb = forwardBackward(cfg, model, c, micro, step, stepTokens, sm, peakRss);
          lossSum = lb[0];
          backwardNs = (long) lb[1];
          Threads.gradMode(false);
          double sq = 0;
          String firstBad = null;
          for (NDArray p : params) {
            double g = p.getGradient().square().sum().getFloat();
            if (!Double.isFinite(g) && firstBad == null) {
              firstBad = p.getName();
            }
            sq += g;
          }
          double norm = Math.sqrt(sq);
          if (!Double.isFinite(lossSum)) {
            throw new IllegalStateException(
                "training diverged: loss "
                    + lossSum
                    + " at step "
                    + (step + 1)
                    + " (config "
                    + c.key()
                    + "); the checkpoint in "
                    + outDir
                    + " is the last finite one;"
                    + " lower lr, raise warmupSteps or set clipNorm");
          }
          if (!(norm <= MAX_GRAD_NORM)) {
            // Observed (OverfitBench probe): rarely, and not reproducibly for the same weights and
            // batch, a
            // backward pass yields NaN or 1e14..1e27 gradients. Applied, one such update poisons
            // Adam's second
            // moments (those weights then freeze for thousands of steps) or the weights (NaN). Skip
            // it.
            skipped++;
            log.write(
                "skipped update "
                    + (step + 1)
                    + ": gradient norm "
                    + norm
                    + " (first non-finite: "
                    + firstBad
                    + ", config "
                    + c.key()
                    + ")\n");
            if (++skippedInARow >= 10) {
              throw new IllegalStateException(
                  "training diverged: gradient norm "
                      + norm
                      + " at 10 updates in a row"
                      + " up to step "
                      + (step + 1)
                      + "; the checkpoint in "
                      + outDir
                      + " is the last finite one;"
                      + " lower lr, raise warmupSteps or set clipNorm");
            }
          } else {
            skippedInARow = 0;
            float scale = 1f;
            if (cfg.clipNorm() > 0 && norm > cfg.clipNorm()) {
              scale = (float) (cfg.clipNorm() / (norm + 1e-6));
            }
            adam.update(step + 1, cfg.lrAt(step), scale);
          }
          for (NDArray p : params) {
            JniUtils.zeroGrad((PtNDArray) p);
          }
          sm.close();
        }
        stepMs.add((System.nanoTime() - stepStart) / 1e6);
        backwardMs.add(backwardNs / 1e6);
        tokens += stepTokens;
        lastLoss = lossSum / stepTokens / Math.log(2);
        if (!Double.isFinite(lastLoss)) {
          // stop before a diverged model overwrites the last good checkpoint
          throw new IllegalStateException(
              "training diverged: loss "
                  + lastLoss
                  + " at step "
                  + (step + 1)
                  + " (config "
                  + c.key()
                  + "); the checkpoint in "
                  + outDir
                  + " is the last finite one;"
                  + " lower lr or set clipNorm");
        }
        long done = step + 1;
        if (validation != null && (done % validation.every() == 0 || done == cfg.steps())) {
          double v = validation.loss().applyAsDouble(model);
          boolean better = !(v >= bestLoss); // NaN start (never) loses to any finite loss
          log.write(
              "validation step "
                  + done
                  + ": loss "
                  + v
                  + (better ? " (best)" : " (best: step " + bestStep + ", " + bestLoss + ")")
                  + "\n");
          if (better) {
            SuperTransformerCheckpoint.write(
                outDir.resolve(BEST), space, model, adam, done, cfg.seed());
            bestStep = done;
            bestLoss = v;
          }
          // Weights, then record, then the resume checkpoint: a kill before the checkpoint makes
          // the resumed run
          // validate this step again (deterministically) and rewrite both.
          io.hatflow.core.run.AtomicFiles.writeString(
              outDir.resolve(BEST_JSON), bestStep + " " + bestLoss + "\n");
        }
        if (done % cfg.checkpointEvery() == 0 || done == cfg.steps()) {
          SuperTransformerCheckpoint.write(ckFile, space, model, adam, done, cfg.seed());
        }
        if (done % cfg.logEvery() == 0 || done == cfg.steps()) {
          double secs = (System.nanoTime() - t0) / 1e9;
          double perStep = secs / (done - start);
          Progress p =
              new Progress(
                  done,
                  cfg.steps(),
                  lastLoss,
                  tokens / secs,
                  perStep * (cfg.steps() - done),
                  cfg.lrAt(step),
                  c.key());
          log.write(p.line() + "\n");
          log.flush();
          if (listener != null) {
            listener.onProgress(p);
          }
        }
      }
      Cost cost =
          new Cost(
              median(stepMs),
              median(backwardMs),
              peakRss[0],
              params.stream().mapToLong(NDArray::size).sum());
      log.write(
          String.format(
              Locale.ROOT,
              "cost: step %.2f ms, backward %.2f ms (medians), peak RSS %d MB, %d parameters"
                  + " updated%n",
              cost.stepMs(),
              cost.backwardMs(),
              cost.peakRssBytes() >> 20,
              cost.updatedParams()));
      if (ck != null) {
        ck.close();
      } else {
        model.close();
      }
      String digest;
      try (SuperTransformerCheckpoint fin = SuperTransformerCheckpoint.load(ckFile)) {
        digest = fin.digest();
      }
      log.write(
          "done: "
              + ckFile
              + " sha256 "
              + digest
              + (skipped > 0 ? " (" + skipped + " updates skipped)" : "")
              + "\n");
      if (validation == null) {
        return new Result(ckFile, digest, cfg.steps(), lastLoss, cost);
      }
      log.write(
          "kept step "
              + bestStep
              + (bestStep == 0 ? " (the starting weights)" : "")
              + ": validation loss "
              + bestLoss
              + "\n");
      return new Result(
          ckFile,
          digest,
          cfg.steps(),
          lastLoss,
          bestStep,
          bestLoss,
          bestStep == 0 ? null : outDir.resolve(BEST),
          cost);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write training log in " + outDir, e);
    }
  }

  /**
   * The micro-batches of update {@code step}: forward, loss, backward (gradients accumulate on the
   * weights that require them). Returns the summed loss and the nanoseconds spent in backward;
   * {@code peakRss[0]} becomes the largest resident set seen between a forward and its backward
   * (the graph's saved activations, the gradients and the optimizer moments all live then).
   */
  private static double[] forwardBackward(
      TrainConfig cfg,
      SuperTransformer model,
      SubConfig c,
      List<Batch> micro,
      long step,
      int stepTokens,
      NDManager sm,
      long[] peakRss) {
    double lossSum = 0;
    long backwardNs = 0;
    for (int j = 0; j < micro.size(); j++) {
      Batch b = micro.get(j);
      Engine.getInstance()
          .setRandomSeed((int) (cfg.seed() * 1_000_003L + step * cfg.gradAccum() + j));
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray logits = model.forward(c, b.srcArray(sm), b.prevArray(sm), true);
        NDArray[] loss = Loss.labelSmoothed(logits, b.targetArray(sm), cfg.labelSmoothing());
        peakRss[0] = Math.max(peakRss[0], io.hatflow.core.run.Host.rssBytes());
        long bw = System.nanoTime();
        gc.backward(Scalars.over(loss[0], stepTokens));
        backwardNs += System.nanoTime() - bw;
        lossSum += loss[0].getFloat();
      }
    }
    return new double[] {lossSum, backwardNs};
  }

  /**
   * What a sparse fine-tuning probe measured: per layer trained alone, and for all weights together
   * ({@code full}), the validation-loss gain after the probe's updates and the median backward time
   * of an update.
   */
  public record ProbeResult(
      int steps, double startLoss, Trainable.Probe full, List<Trainable.Probe> layers) {}

  /**
   * PockEngine's probe: from {@code initial}'s weights each time, trains every layer of {@code
   * fixed} alone (then all weights) for {@code steps} updates at the peak rate {@code cfg.lr()} on
   * the run's first batches, and measures the validation-loss gain ({@code validLoss} before minus
   * after) and the backward time; per layer also the backward time of the path down to it ({@link
   * Trainable.Probe#pathMs}). Nothing is written.
   */
  public static ProbeResult probe(
      TrainConfig cfg,
      SubConfig fixed,
      java.util.function.Function<NDManager, SuperTransformer> initial,
      Path shardsDir,
      int steps,
      java.util.function.ToDoubleFunction<SuperTransformer> validLoss,
      java.util.function.Consumer<String> log) {
    if (steps < 1) {
      throw new IllegalArgumentException("probe steps must be >= 1, got " + steps);
    }
    Threads.useIntraOp(cfg.threads());
    List<Batch> batches = Corpus.batches(Corpus.read(shardsDir, "train"), cfg.maxTokens());
    double startLoss;
    try (NDManager manager = NDManager.newBaseManager();
        SuperTransformer start = initial.apply(manager)) {
      startLoss = validLoss.applyAsDouble(start);
    }
    List<Trainable.Probe> rows = new ArrayList<>();
    Trainable.Probe full = null;
    List<String> units = new ArrayList<>(Trainable.layers(fixed));
    units.add("all");
    for (String unit : units) {
      Trainable t = unit.equals("all") ? Trainable.ALL : Trainable.picked(List.of(unit));
      List<Double> backwardMs = new ArrayList<>();
      double after;
      try (NDManager manager = NDManager.newBaseManager();
          SuperTransformer model = initial.apply(manager)) {
        List<NDArray> params = updated(model, t);
        for (NDArray p : params) {
          p.setRequiresGradient(true);
        }
        Adam adam = new Adam(params, model.manager(), cfg.beta1(), cfg.beta2());
        for (long step = 0; step < steps; step++) {
          List<Batch> micro = microBatches(cfg, batches, step);
          int stepTokens = targetTokens(micro);
          try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDManager sm = manager.newSubManager();
            double[] lb =
                forwardBackward(cfg, model, fixed, micro, step, stepTokens, sm, new long[1]);
            backwardMs.add(lb[1] / 1e6);
            Threads.gradMode(false);
            double sq = 0;
            for (NDArray p : params) {
              sq += p.getGradient().square().sum().getFloat();
            }
            double norm = Math.sqrt(sq);
            if (Double.isFinite(lb[0]) && norm <= MAX_GRAD_NORM) {
              adam.update(
                  step + 1,
                  cfg.lr(),
                  cfg.clipNorm() > 0 && norm > cfg.clipNorm()
                      ? (float) (cfg.clipNorm() / (norm + 1e-6))
                      : 1f);
            }
            for (NDArray p : params) {
              JniUtils.zeroGrad((PtNDArray) p);
            }
            sm.close();
          }
        }
        after = validLoss.applyAsDouble(model);
      }
      double pathMs =
          unit.equals("all") ? Double.NaN : pathMs(cfg, fixed, initial, batches, steps, unit);
      Trainable.Probe row =
          new Trainable.Probe(unit, startLoss - after, median(backwardMs), pathMs);
      if (log != null) {
        log.accept(
            String.format(
                Locale.ROOT,
                "probe %s (%d/%d): validation loss %.4f -> %.4f, backward %.2f ms"
                    + (unit.equals("all") ? "" : " (path %.2f ms, weight gradients %.2f ms)"),
                unit,
                rows.size() + 1,
                units.size(),
                startLoss,
                after,
                row.backwardMs(),
                row.pathMs(),
                row.weightMs()));
      }
      if (unit.equals("all")) {
        full = row;
      } else {
        rows.add(row);
      }
    }
    return new ProbeResult(steps, startLoss, full, rows);
  }

  /**
   * The median backward time (ms) of {@code steps} updates' batches with only {@code layer}'s first
   * layer-norm shift trainable: the activation-gradient path from the loss down to that layer,
   * without its weight gradients. Nothing is updated.
   */
  private static double pathMs(
      TrainConfig cfg,
      SubConfig fixed,
      java.util.function.Function<NDManager, SuperTransformer> initial,
      List<Batch> batches,
      int steps,
      String layer) {
    List<Double> ms = new ArrayList<>();
    try (NDManager manager = NDManager.newBaseManager();
        SuperTransformer model = initial.apply(manager)) {
      NDArray shift = model.weights().all().get(layer + ".ln1.b");
      if (shift == null) {
        throw new IllegalStateException("no weight " + layer + ".ln1.b in the model");
      }
      shift.setRequiresGradient(true);
      for (long step = 0; step < steps; step++) {
        List<Batch> micro = microBatches(cfg, batches, step);
        int stepTokens = targetTokens(micro);
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          NDManager sm = manager.newSubManager();
          ms.add(
              forwardBackward(cfg, model, fixed, micro, step, stepTokens, sm, new long[1])[1]
                  / 1e6);
          JniUtils.zeroGrad((PtNDArray) shift);
          sm.close();
        }
      }
    }
    return median(ms);
  }

  /**
   * The weights {@code trainable} updates, in the model's order (the order of their optimizer
   * state).
   */
  static List<NDArray> updated(SuperTransformer model, Trainable trainable) {
    List<NDArray> out = new ArrayList<>();
    model
        .weights()
        .all()
        .forEach(
            (name, a) -> {
              if (trainable.test(name)) {
                out.add(a);
              }
            });
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "fine-tuning " + trainable + " updates no weight of the model");
    }
    return out;
  }

  static double median(List<Double> xs) {
    if (xs.isEmpty()) {
      return Double.NaN;
    }
    double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }

  /** The SubTransformer trained at update {@code step}: a pure function of (seed, step). */
  public static SubConfig sampleConfig(TrainConfig cfg, SearchSpace space, long step) {
    int k = cfg.sandwichEvery();
    if (k > 1 && step % k == 0) {
      return space.largest();
    }
    if (k > 1 && step % k == 1) {
      return space.smallest();
    }
    return space.sample(Seeds.random(cfg.seed(), 0x2545F4914F6CDD1DL, step));
  }

  /**
   * The micro-batch number {@code index} of the run: epoch = index / batches, order seeded per
   * epoch.
   */
  /**
   * The {@code gradAccum} batches of one update, in the seeded epoch order (the same for every
   * mode).
   */
  static List<Batch> microBatches(TrainConfig cfg, List<Batch> batches, long step) {
    List<Batch> micro = new ArrayList<>(cfg.gradAccum());
    for (int j = 0; j < cfg.gradAccum(); j++) {
      micro.add(batchAt(batches, cfg.seed(), step * cfg.gradAccum() + j));
    }
    return micro;
  }

  static int targetTokens(List<Batch> micro) {
    int tokens = 0;
    for (Batch b : micro) {
      tokens += b.targetTokens();
    }
    return tokens;
  }

  static Batch batchAt(List<Batch> batches, long seed, long index) {
    long epoch = index / batches.size();
    int[] order = Corpus.epochOrder(batches.size(), seed, epoch);
    return batches.get(order[(int) (index % batches.size())]);
  }

  private static void checkIds(List<Corpus.Pair> pairs, int vocab, Path dir) {
    for (Corpus.Pair p : pairs) {
      for (int[] ids : new int[][] {p.src(), p.tgt()}) {
        for (int id : ids) {
          if (id < 0 || id >= vocab) {
            throw new UserInputException(
                "pair "
                    + p.id()
                    + " in "
                    + dir
                    + " has token id "
                    + id
                    + " outside the vocabulary of size "
                    + vocab);
          }
        }
      }
    }
  }
}
