package io.hatflow.model.train;

import io.hatflow.model.transformer.Dropouts;

/**
 * SuperTransformer training settings. Built from the spec by the train and finalize stages ({@code
 * TrainStage.config}, {@code FinalizeStage.config}) through {@link #builder()}: the defaults live
 * in the spec layer only, so this record has none (every field must be set). HAT's WMT values are
 * noted per field.
 *
 * @param steps optimizer updates (HAT WMT: 40k)
 * @param maxTokens padded tokens per batch (HAT: 4096 x 8 GPUs)
 * @param lr peak learning rate (HAT: 1e-3)
 * @param warmupSteps linear warm-up from 1e-7 (HAT: 10k)
 * @param schedule {@code INVERSE_SQRT} (fairseq), {@code COSINE} (HAT's configs: cosine to {@code
 *     minLr} over the steps after warm-up) or {@code CONSTANT} ({@code lr} after warm-up;
 *     fine-tuning)
 * @param minLr floor of the cosine schedule (HAT: 1e-7)
 * @param beta1 Adam beta1 (0.9)
 * @param beta2 Adam beta2 (0.98)
 * @param labelSmoothing 0.1
 * @param clipNorm total gradient-norm clip, 0 = off (HAT: 0)
 * @param gradAccum batches per update (HAT: update-freq 1 on 8 GPUs; use 8 for one device)
 * @param dropouts dropout rates (HAT WMT: 0.3 / 0.1 / 0.1)
 * @param seed initialisation, batch order, SubTransformer sampling and dropout all derive from it
 * @param checkpointEvery write a checkpoint every N steps (and always at the end)
 * @param sandwichEvery SubTransformer sampling: 0 = HAT's policy, one uniformly random
 *     SubTransformer per step; k > 1 = step % k == 0 trains the largest, step % k == 1 the
 *     smallest, other steps a random one
 * @param threads libtorch intra-op threads of the training thread
 * @param logEvery progress line every N steps
 */
public record TrainConfig(
    int steps,
    int maxTokens,
    double lr,
    int warmupSteps,
    Schedule schedule,
    double minLr,
    double beta1,
    double beta2,
    double labelSmoothing,
    double clipNorm,
    int gradAccum,
    Dropouts dropouts,
    long seed,
    int checkpointEvery,
    int sandwichEvery,
    int threads,
    int logEvery) {

  public enum Schedule {
    INVERSE_SQRT,
    COSINE,
    CONSTANT
  }

  /**
   * The only validation of these settings (the spec checks its keys' ranges first, so this catches
   * code that builds a record by hand). Messages name the spec key where there is one.
   */
  public TrainConfig {
    java.util.List<String> bad = new java.util.ArrayList<>();
    atLeast(bad, "train.steps (finalize.steps)", steps, 1);
    atLeast(bad, "train.max_tokens", maxTokens, 1);
    atLeast(bad, "train.grad_accum", gradAccum, 1);
    atLeast(bad, "train.checkpoint_every (finalize.checkpoint_every)", checkpointEvery, 1);
    atLeast(bad, "train.threads", threads, 1);
    atLeast(bad, "log every (steps)", logEvery, 1);
    atLeast(bad, "train.warmup_steps (finalize.warmup_steps)", warmupSteps, 0);
    if (!(lr > 0)) {
      bad.add("train.lr (finalize.lr): expected > 0, got " + lr);
    }
    if (sandwichEvery < 0 || sandwichEvery == 1) {
      bad.add("train.extremes_every: expected 0 or >= 2, got " + sandwichEvery);
    }
    if (schedule == null || dropouts == null) {
      bad.add("train.schedule and the model's dropouts must be set");
    }
    if (!bad.isEmpty()) {
      throw new IllegalArgumentException("bad training settings: " + String.join("; ", bad));
    }
  }

  private static void atLeast(java.util.List<String> bad, String key, long v, long min) {
    if (v < min) {
      bad.add(key + ": expected >= " + min + ", got " + v);
    }
  }

  /** A builder with nothing set: {@link Builder#build()} names every field left unset. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these settings (finalize derives its settings from train's). */
  public Builder toBuilder() {
    return builder()
        .steps(steps)
        .maxTokens(maxTokens)
        .lr(lr)
        .warmupSteps(warmupSteps)
        .schedule(schedule)
        .minLr(minLr)
        .beta1(beta1)
        .beta2(beta2)
        .labelSmoothing(labelSmoothing)
        .clipNorm(clipNorm)
        .gradAccum(gradAccum)
        .dropouts(dropouts)
        .seed(seed)
        .checkpointEvery(checkpointEvery)
        .sandwichEvery(sandwichEvery)
        .threads(threads)
        .logEvery(logEvery);
  }

  /** Named setters for the 17 fields; no defaults (they belong to the spec). */
  public static final class Builder {
    private Integer steps;
    private Integer maxTokens;
    private Double lr;
    private Integer warmupSteps;
    private Schedule schedule;
    private Double minLr;
    private Double beta1;
    private Double beta2;
    private Double labelSmoothing;
    private Double clipNorm;
    private Integer gradAccum;
    private Dropouts dropouts;
    private Long seed;
    private Integer checkpointEvery;
    private Integer sandwichEvery;
    private Integer threads;
    private Integer logEvery;

    private Builder() {}

    public Builder steps(int v) {
      steps = v;
      return this;
    }

    public Builder maxTokens(int v) {
      maxTokens = v;
      return this;
    }

    public Builder lr(double v) {
      lr = v;
      return this;
    }

    public Builder warmupSteps(int v) {
      warmupSteps = v;
      return this;
    }

    public Builder schedule(Schedule v) {
      schedule = v;
      return this;
    }

    public Builder minLr(double v) {
      minLr = v;
      return this;
    }

    public Builder beta1(double v) {
      beta1 = v;
      return this;
    }

    public Builder beta2(double v) {
      beta2 = v;
      return this;
    }

    public Builder labelSmoothing(double v) {
      labelSmoothing = v;
      return this;
    }

    public Builder clipNorm(double v) {
      clipNorm = v;
      return this;
    }

    public Builder gradAccum(int v) {
      gradAccum = v;
      return this;
    }

    public Builder dropouts(Dropouts v) {
      dropouts = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder checkpointEvery(int v) {
      checkpointEvery = v;
      return this;
    }

    public Builder sandwichEvery(int v) {
      sandwichEvery = v;
      return this;
    }

    public Builder threads(int v) {
      threads = v;
      return this;
    }

    public Builder logEvery(int v) {
      logEvery = v;
      return this;
    }

    /**
     * The settings, validated by the record's constructor; throws naming every field left unset.
     */
    public TrainConfig build() {
      java.util.List<String> unset = new java.util.ArrayList<>();
      String[] names = {
        "steps",
        "maxTokens",
        "lr",
        "warmupSteps",
        "schedule",
        "minLr",
        "beta1",
        "beta2",
        "labelSmoothing",
        "clipNorm",
        "gradAccum",
        "dropouts",
        "seed",
        "checkpointEvery",
        "sandwichEvery",
        "threads",
        "logEvery"
      };
      Object[] values = {
        steps,
        maxTokens,
        lr,
        warmupSteps,
        schedule,
        minLr,
        beta1,
        beta2,
        labelSmoothing,
        clipNorm,
        gradAccum,
        dropouts,
        seed,
        checkpointEvery,
        sandwichEvery,
        threads,
        logEvery
      };
      for (int i = 0; i < names.length; i++) {
        if (values[i] == null) {
          unset.add(names[i]);
        }
      }
      if (!unset.isEmpty()) {
        throw new IllegalStateException("TrainConfig: not set: " + String.join(", ", unset));
      }
      return new TrainConfig(
          steps,
          maxTokens,
          lr,
          warmupSteps,
          schedule,
          minLr,
          beta1,
          beta2,
          labelSmoothing,
          clipNorm,
          gradAccum,
          dropouts,
          seed,
          checkpointEvery,
          sandwichEvery,
          threads,
          logEvery);
    }
  }

  /**
   * Learning rate of update {@code step} (0-based), fairseq's warm-up from 1e-7 then the schedule.
   */
  public double lrAt(long step) {
    long n = step + 1;
    if (n <= warmupSteps) {
      return 1e-7 + (lr - 1e-7) * n / warmupSteps;
    }
    return switch (schedule) {
      case INVERSE_SQRT -> lr * Math.sqrt(Math.max(1, warmupSteps)) / Math.sqrt(n);
      case CONSTANT -> lr;
      case COSINE -> {
        double p = (double) (n - warmupSteps) / Math.max(1, steps - warmupSteps);
        yield minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * Math.min(1, p)));
      }
    };
  }
}
