package io.hatflow.model.train;

import java.util.Random;

/**
 * Generators derived from (seed, index). {@code new Random(seed * K + index)} is not one:
 * java.util.Random scrambles its seed only by an XOR, so consecutive indices start from nearly the
 * same 48-bit state and their first draws agree for thousands of indices (measured: the first gene
 * of the SubTransformer sampled at step s, the encoder embed dim, was the same for every step of a
 * 300-step run). The index is hashed first.
 */
final class Seeds {
  private Seeds() {}

  static Random random(long seed, long stream, long index) {
    return new Random(mix(mix(seed ^ stream) + index));
  }

  /** SplitMix64's finaliser: every input bit affects every output bit. */
  static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
