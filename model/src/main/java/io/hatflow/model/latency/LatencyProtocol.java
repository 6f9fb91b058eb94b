package io.hatflow.model.latency;

import io.hatflow.core.space.SearchSpace;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * HAT's latency measurement protocol: a dummy source of {@code tokens} tokens (30 for WMT, 23 for
 * IWSLT), beam {@code beam}; the encoder runs once and the decoder incrementally for {@code tokens}
 * steps; {@code warmup} untimed runs, then {@code runs} timed runs; the fastest and slowest {@code
 * trim} fraction dropped (HAT: 10%); mean and standard deviation (population) in milliseconds,
 * encoder and decoder separately.
 *
 * <p>Adaptive: after {@code runs} timed runs (the minimum) it keeps timing until the 95% confidence
 * interval of the trimmed mean of the total (encoder + decoder, what the predictor learns) is
 * within {@code ±ciTarget} of that mean, or {@code maxRuns} runs were timed. More runs narrow the
 * interval of the mean; they do not lower the per-run std/mean, which pinning and a quiet machine
 * do. {@code maxRuns == runs} is HAT's fixed protocol.
 *
 * <p>Pure apart from the {@link Subject} and the injected clock, so trimming and counts are
 * testable.
 */
public record LatencyProtocol(
    int tokens, int beam, int warmup, int runs, double trim, int maxRuns, double ciTarget) {
  /**
   * The interval HAT's figures are judged by here: the trimmed mean within ±2% (95% confidence).
   */
  public static final double CI_TARGET = 0.02;

  public LatencyProtocol {
    if (tokens < 1 || beam < 1 || warmup < 0 || runs < 1 || trim < 0 || trim >= 0.5) {
      throw new IllegalArgumentException(
          "tokens, beam, runs >= 1, warmup >= 0, trim in [0, 0.5) required");
    }
    if (maxRuns < runs || !(ciTarget > 0)) {
      throw new IllegalArgumentException(
          "maxRuns >= runs ("
              + runs
              + ") and ciTarget > 0 required, got "
              + maxRuns
              + ", "
              + ciTarget);
    }
  }

  /** A fixed number of timed runs (HAT's protocol as published). */
  public LatencyProtocol(int tokens, int beam, int warmup, int runs, double trim) {
    this(tokens, beam, warmup, runs, trim, runs, CI_TARGET);
  }

  /** The same protocol timing adaptively up to {@code max} runs. */
  public LatencyProtocol withMaxRuns(int max) {
    return new LatencyProtocol(tokens, beam, warmup, runs, trim, max, ciTarget);
  }

  /**
   * HAT's settings for a space: 30 tokens (23 for IWSLT-like spaces), beam 5, 5 warm-up, 20 timed,
   * 10% trim.
   */
  public static LatencyProtocol hat(SearchSpace space) {
    return new LatencyProtocol(space.dummyTokens(), 5, 5, 20, 0.1);
  }

  /** What is timed: one encoder pass, and the whole incremental decoding (all steps) of one run. */
  public interface Subject {
    /** Runs the encoder on the dummy source (results kept for {@link #decode}). */
    void encode();

    /** Runs the decoder incrementally for the protocol's number of steps. */
    void decode();

    /**
     * Called once between warm-up and the first timed run: a full collection now, so the warm-up's
     * garbage is not collected during timing (Java cannot forbid a GC, only make one unlikely).
     */
    default void settle() {
      System.gc();
    }

    /**
     * Frees what one run left behind, outside the timed region (a freed run would otherwise bill
     * the next).
     */
    default void release() {}
  }

  /**
   * Latency statistics in milliseconds, how many timed runs each figure kept, how many were timed,
   * and the 95% half-width of the total's trimmed mean in percent of it.
   */
  public record Stats(
      double meanEncoderMs,
      double meanDecoderMs,
      double stdEncoderMs,
      double stdDecoderMs,
      int kept,
      int runs,
      double ciHalfWidthPct) {}

  public Stats measure(Subject s, LongSupplier nanoTime) {
    for (int i = 0; i < warmup; i++) {
      s.encode();
      s.decode();
      s.release();
    }
    s.settle();
    double[] enc = new double[maxRuns];
    double[] dec = new double[maxRuns];
    double[] tot = new double[maxRuns];
    int n = 0;
    double rel = Double.POSITIVE_INFINITY;
    while (n < maxRuns) {
      long t0 = nanoTime.getAsLong();
      s.encode();
      long t1 = nanoTime.getAsLong();
      s.decode();
      long t2 = nanoTime.getAsLong();
      enc[n] = (t1 - t0) / 1e6;
      dec[n] = (t2 - t1) / 1e6;
      tot[n] = (t2 - t0) / 1e6;
      s.release();
      n++;
      if (n >= runs) {
        rel = relativeHalfWidth(Arrays.copyOf(tot, n), trim);
        if (rel <= ciTarget) {
          break;
        }
      }
    }
    double[] e = trimmed(Arrays.copyOf(enc, n), trim);
    double[] d = trimmed(Arrays.copyOf(dec, n), trim);
    return new Stats(mean(e), mean(d), std(e), std(d), e.length, n, 100 * rel);
  }

  /**
   * Half-width of the 95% confidence interval of the {@code trim}-trimmed mean over that mean
   * (Tukey and McLaughlin: winsorized standard deviation, Student's t with h - 1 degrees of
   * freedom, h the values kept). Infinite when fewer than two values are kept or the mean is not
   * positive.
   */
  public static double relativeHalfWidth(double[] xs, double trim) {
    double[] s = xs.clone();
    Arrays.sort(s);
    int n = s.length;
    int g = (int) Math.floor(n * trim + 1e-9);
    int h = n - 2 * g;
    if (h < 2) {
      return Double.POSITIVE_INFINITY;
    }
    double m = mean(Arrays.copyOfRange(s, g, n - g));
    double[] w = s.clone();
    for (int i = 0; i < g; i++) {
      w[i] = s[g];
      w[n - 1 - i] = s[n - 1 - g];
    }
    double wm = mean(w);
    double ss = 0;
    for (double x : w) {
      ss += (x - wm) * (x - wm);
    }
    double se = Math.sqrt(ss / (n - 1)) * Math.sqrt(n) / h;
    double t =
        new org.apache.commons.math3.distribution.TDistribution(null, h - 1)
            .inverseCumulativeProbability(0.975);
    return m > 0 ? t * se / m : Double.POSITIVE_INFINITY;
  }

  /**
   * Sorted values without the lowest and highest {@code floor(n * trim)} each (HAT: 20 runs keep
   * 16).
   */
  public static double[] trimmed(double[] xs, double trim) {
    double[] s = xs.clone();
    Arrays.sort(s);
    int cut = (int) Math.floor(s.length * trim + 1e-9);
    return Arrays.copyOfRange(s, cut, s.length - cut);
  }

  static double mean(double[] xs) {
    double t = 0;
    for (double x : xs) {
      t += x;
    }
    return t / xs.length;
  }

  static double std(double[] xs) {
    double m = mean(xs);
    double t = 0;
    for (double x : xs) {
      t += (x - m) * (x - m);
    }
    return Math.sqrt(t / xs.length);
  }
}
