package io.hatflow.model.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.train.Batch;
import io.hatflow.model.train.Loss;
import io.hatflow.model.train.SuperTransformerCheckpoint;
import io.hatflow.model.transformer.SuperTransformer;
import io.hatflow.model.transformer.Threads;
import java.nio.file.Path;
import java.util.List;

/**
 * Inherited-weight validation loss of a SubTransformer: the SuperTransformer's weights sliced to
 * the config, eval mode (no dropout, no autograd), batches in the given order, losses summed in
 * double in that order. The search's fitness.
 *
 * <p>Determinism: for a fixed checkpoint, config, batch list and {@code threads}, the result is the
 * same number on every call and every JVM on the same CPU type; the thread count must be fixed by
 * the caller (libtorch's reductions may change in the last bits with it). Rank on a rounded value
 * with key tie-breaks.
 *
 * <p>Threads: use one evaluator per thread (e.g. one per DoFn instance, created in {@code @Setup});
 * its methods are synchronized so sharing one is safe but serial. Several evaluators may share one
 * {@link SuperTransformer} (forward only reads the weights). Native memory of each call is released
 * by an {@link NDScope} before it returns.
 */
public final class FitnessEvaluator implements AutoCloseable {
  /**
   * Label-smoothed loss and NLL per target token, base 2 (fairseq's "loss" and "nll_loss"), and the
   * token count.
   */
  public record Fitness(double loss, double nll, long tokens) {}

  private final SuperTransformer model;
  private final SuperTransformerCheckpoint owned;
  private final int threads;
  private final double labelSmoothing;

  /** Evaluates on a model the caller owns. */
  public FitnessEvaluator(SuperTransformer model, int threads, double labelSmoothing) {
    this(model, null, threads, labelSmoothing);
  }

  private FitnessEvaluator(
      SuperTransformer model, SuperTransformerCheckpoint owned, int threads, double ls) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1");
    }
    this.model = model;
    this.owned = owned;
    this.threads = threads;
    this.labelSmoothing = ls;
  }

  /**
   * Loads a checkpoint and evaluates on it (closed with this evaluator). Label smoothing 0.1 as
   * HAT.
   */
  public static FitnessEvaluator open(Path checkpoint, int threads) {
    SuperTransformerCheckpoint ck = SuperTransformerCheckpoint.load(checkpoint);
    return new FitnessEvaluator(ck.model(), ck, threads, 0.1);
  }

  public SuperTransformer model() {
    return model;
  }

  /** The checkpoint's digest when opened from one, else null. */
  public String checkpointDigest() {
    return owned == null ? null : owned.digest();
  }

  /** Label-smoothed validation loss per token, base 2 (HAT's search fitness; lower is better). */
  public double validLoss(SubConfig config, List<Batch> batches) {
    return evaluate(config, batches).loss();
  }

  public synchronized Fitness evaluate(SubConfig config, List<Batch> batches) {
    if (batches.isEmpty()) {
      throw new UserInputException("no validation batches");
    }
    Threads.useIntraOp(threads);
    Threads.gradMode(false);
    model.check(config);
    double loss = 0;
    double nll = 0;
    long tokens = 0;
    try (NDScope scope = new NDScope();
        NDManager m = model.manager().newSubManager()) {
      scope.suppressNotUsedWarning();
      for (Batch b : batches) {
        NDArray logits = model.forward(config, b.srcArray(m), b.prevArray(m), false);
        NDArray[] l = Loss.labelSmoothed(logits, b.targetArray(m), labelSmoothing);
        loss += l[0].getFloat();
        nll += l[1].getFloat();
        tokens += b.targetTokens();
      }
    }
    double ln2 = Math.log(2);
    return new Fitness(loss / tokens / ln2, nll / tokens / ln2, tokens);
  }

  @Override
  public void close() {
    if (owned != null) {
      owned.close();
    }
  }
}
