package io.hatflow.core.search;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * All of the search's randomness. Each draw site gets its own generator seeded by a SHA-256 of
 * (spec seed, generation, target, budget, slot, purpose), so results never depend on element order,
 * runner, parallelism or thread, and a resumed generation draws exactly what the first attempt
 * drew.
 */
public final class Rng {
  private Rng() {}

  public static Random derive(
      long seed, int generation, String target, double budgetMs, int slot, String purpose) {
    return new Random(
        mix(
            seed
                + "|"
                + generation
                + "|"
                + target
                + "|"
                + SearchId.budgetText(budgetMs)
                + "|"
                + slot
                + "|"
                + purpose));
  }

  public static Random derive(long seed, int generation, SearchId id, int slot, String purpose) {
    return derive(seed, generation, id.target(), id.budgetMs(), slot, purpose);
  }

  static long mix(String s) {
    byte[] h = io.hatflow.core.run.Digests.sha256().digest(s.getBytes(StandardCharsets.UTF_8));
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (h[i] & 0xff);
    }
    return v;
  }
}
