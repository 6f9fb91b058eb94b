package io.hatflow.core.search.testing;

import io.hatflow.core.search.Fitness;
import io.hatflow.core.search.FitnessFactory;
import io.hatflow.core.space.SubConfig;

/**
 * SYNTHETIC TEST DOUBLE, not a model: a smooth, deterministic stand-in for the inherited-weight
 * validation loss (bigger SubTransformers score lower), for tests and benchmarks of the search's
 * shape. The real fitness is the SuperTransformer's validation loss (module model). {@code
 * workIterations} burns a fixed amount of CPU per evaluation to imitate its cost.
 */
public final class SyntheticFitness implements Fitness {
  private final long workIterations;

  public SyntheticFitness(long workIterations) {
    this.workIterations = workIterations;
  }

  /** A factory (serializable) for fitness doubles costing {@code workIterations} of CPU each. */
  public static FitnessFactory factory(long workIterations) {
    return () -> new SyntheticFitness(workIterations);
  }

  @Override
  public double validLoss(SubConfig config) {
    double sink = burn(workIterations, config.key().hashCode());
    return loss(config) + (sink == 42.4242 ? 1e-300 : 0); // keeps the JIT from dropping the work
  }

  /** The synthetic loss: decreasing in width and depth, with small, distinct effects per gene. */
  public static double loss(SubConfig c) {
    SubConfig a = c.active();
    double enc = 0;
    for (int i = 0; i < a.encoderLayerNum(); i++) {
      enc +=
          a.encoderEmbedDim()
              / 128.0
              * (a.encoderFfnEmbedDim().get(i) / 512.0
                  + 0.1 * a.encoderSelfAttentionHeads().get(i));
    }
    double dec = 0;
    for (int i = 0; i < a.decoderLayerNum(); i++) {
      dec +=
          a.decoderEmbedDim()
              / 128.0
              * (a.decoderFfnEmbedDim().get(i) / 512.0
                  + 0.07 * a.decoderSelfAttentionHeads().get(i)
                  + 0.05 * a.decoderEndeAttentionHeads().get(i)
                  + 0.03 * a.endeLayersAttended(i))
              / (1 + 0.1 * i);
    }
    return 7.0 - 0.6 * Math.log1p(enc) - 0.9 * Math.log1p(dec);
  }

  /** Fixed CPU work (a xorshift loop), the same amount for every config. */
  public static double burn(long iterations, int salt) {
    long x = 0x9E3779B97F4A7C15L ^ salt;
    double acc = 0;
    for (long i = 0; i < iterations; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      acc += (x & 1023) * 1e-3;
    }
    return acc;
  }
}
