package io.hatflow.model.latency;

import io.hatflow.core.space.SearchSpace;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * HAT's latency measurement protocol: a dummy source of {@code tokens} tokens (30 for WMT, 23 for IWSLT),
 * beam {@code beam}; the encoder runs once and the decoder incrementally for {@code tokens} steps; {@code warmup}
 * untimed runs, then {@code runs} timed runs; the fastest and slowest {@code trim} fraction dropped (HAT: 10%);
 * mean and standard deviation (population) in milliseconds, encoder and decoder separately.
 *
 * <p>Pure apart from the {@link Subject} and the injected clock, so trimming and counts are testable.
 */
public record LatencyProtocol(int tokens, int beam, int warmup, int runs, double trim) {

  public LatencyProtocol {
    if (tokens < 1 || beam < 1 || warmup < 0 || runs < 1 || trim < 0 || trim >= 0.5) {
      throw new IllegalArgumentException("tokens, beam, runs >= 1, warmup >= 0, trim in [0, 0.5) required");
    }
  }

  /** HAT's settings for a space: 30 tokens (23 for IWSLT-like spaces), beam 5, 5 warm-up, 20 timed, 10% trim. */
  public static LatencyProtocol hat(SearchSpace space) {
    return new LatencyProtocol(space.iwsltLike() ? 23 : 30, 5, 5, 20, 0.1);
  }

  /** What is timed: one encoder pass, and the whole incremental decoding (all steps) of one run. */
  public interface Subject {
    /** Runs the encoder on the dummy source (results kept for {@link #decode}). */
    void encode();

    /** Runs the decoder incrementally for the protocol's number of steps. */
    void decode();
  }

  /** Latency statistics in milliseconds, and how many timed runs each figure kept. */
  public record Stats(double meanEncoderMs, double meanDecoderMs, double stdEncoderMs, double stdDecoderMs, int kept) {}

  public Stats measure(Subject s, LongSupplier nanoTime) {
    for (int i = 0; i < warmup; i++) {
      s.encode();
      s.decode();
    }
    double[] enc = new double[runs];
    double[] dec = new double[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = nanoTime.getAsLong();
      s.encode();
      long t1 = nanoTime.getAsLong();
      s.decode();
      long t2 = nanoTime.getAsLong();
      enc[i] = (t1 - t0) / 1e6;
      dec[i] = (t2 - t1) / 1e6;
    }
    double[] e = trimmed(enc, trim);
    double[] d = trimmed(dec, trim);
    return new Stats(mean(e), mean(d), std(e), std(d), e.length);
  }

  /** Sorted values without the lowest and highest {@code floor(n * trim)} each (HAT: 20 runs keep 16). */
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
