package io.hatflow.model.train;

import io.hatflow.model.transformer.Dropouts;

/**
 * SuperTransformer training settings. Defaults ({@link #defaults()}) suit the tiny space on a CPU; HAT's WMT
 * values are noted per field.
 *
 * @param steps optimizer updates (HAT WMT: 40k)
 * @param maxTokens padded tokens per batch (HAT: 4096 x 8 GPUs)
 * @param lr peak learning rate (HAT: 1e-3)
 * @param warmupSteps linear warm-up from 1e-7 (HAT: 10k)
 * @param schedule {@code INVERSE_SQRT} (fairseq), {@code COSINE} (HAT's configs: cosine to {@code minLr} over
 *     the steps after warm-up) or {@code CONSTANT} ({@code lr} after warm-up; fine-tuning)
 * @param minLr floor of the cosine schedule (HAT: 1e-7)
 * @param beta1 Adam beta1 (0.9)
 * @param beta2 Adam beta2 (0.98)
 * @param labelSmoothing 0.1
 * @param clipNorm total gradient-norm clip, 0 = off (HAT: 0)
 * @param gradAccum batches per update (HAT: update-freq 1 on 8 GPUs; use 8 for one device)
 * @param dropouts dropout rates (HAT WMT: 0.3 / 0.1 / 0.1)
 * @param seed initialisation, batch order, SubTransformer sampling and dropout all derive from it
 * @param checkpointEvery write a checkpoint every N steps (and always at the end)
 * @param sandwichEvery SubTransformer sampling: 0 = HAT's policy, one uniformly random SubTransformer per step;
 *     k > 1 = step % k == 0 trains the largest, step % k == 1 the smallest, other steps a random one
 * @param threads libtorch intra-op threads of the training thread
 * @param logEvery progress line every N steps
 */
public record TrainConfig(
    int steps, int maxTokens, double lr, int warmupSteps, Schedule schedule, double minLr,
    double beta1, double beta2, double labelSmoothing, double clipNorm, int gradAccum, Dropouts dropouts,
    long seed, int checkpointEvery, int sandwichEvery, int threads, int logEvery) {

  public enum Schedule { INVERSE_SQRT, COSINE, CONSTANT }

  public TrainConfig {
    if (steps < 1 || maxTokens < 1 || gradAccum < 1 || checkpointEvery < 1 || threads < 1 || logEvery < 1) {
      throw new IllegalArgumentException("steps, maxTokens, gradAccum, checkpointEvery, threads, logEvery must be >= 1");
    }
    if (!(lr > 0) || warmupSteps < 0 || sandwichEvery < 0 || sandwichEvery == 1) {
      throw new IllegalArgumentException("lr must be > 0, warmupSteps >= 0, sandwichEvery 0 or >= 2");
    }
  }

  public static TrainConfig defaults() {
    return new TrainConfig(2000, 2048, 1e-3, 200, Schedule.INVERSE_SQRT, 1e-7, 0.9, 0.98, 0.1, 0.0, 1,
        new Dropouts(0.1f, 0.1f, 0.1f), 1, 500, 0, 2, 10);
  }

  public TrainConfig withSteps(int s) {
    return new TrainConfig(s, maxTokens, lr, warmupSteps, schedule, minLr, beta1, beta2, labelSmoothing, clipNorm,
        gradAccum, dropouts, seed, checkpointEvery, sandwichEvery, threads, logEvery);
  }

  public TrainConfig withCheckpointEvery(int every) {
    return new TrainConfig(steps, maxTokens, lr, warmupSteps, schedule, minLr, beta1, beta2, labelSmoothing, clipNorm,
        gradAccum, dropouts, seed, every, sandwichEvery, threads, logEvery);
  }

  /** Learning rate of update {@code step} (0-based), fairseq's warm-up from 1e-7 then the schedule. */
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
