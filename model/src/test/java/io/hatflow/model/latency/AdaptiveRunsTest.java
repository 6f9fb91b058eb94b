package io.hatflow.model.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The stopping rule, the load rule and pinning. */
class AdaptiveRunsTest {

  /**
   * A subject on a fake clock: each run takes 10 ms (encoder 2, decoder 8) times 1 + noise * N(0,
   * 1).
   */
  static final class Noisy implements LatencyProtocol.Subject {
    final Random rnd = new Random(5);
    final double noise;
    long now;
    int runs;
    int settled;

    Noisy(double noise) {
      this.noise = noise;
    }

    private long ms(double base) {
      return (long) (base * 1e6 * Math.max(0.05, 1 + noise * rnd.nextGaussian()));
    }

    @Override
    public void encode() {
      runs++;
      now += ms(2);
    }

    @Override
    public void decode() {
      now += ms(8);
    }

    @Override
    public void settle() {
      settled++; // no System.gc() in a unit test
    }
  }

  @Test
  void quietStopsAtTheMinimum() {
    LatencyProtocol p = new LatencyProtocol(4, 2, 3, 20, 0.1).withMaxRuns(300);
    Noisy q = new Noisy(0.001);
    LatencyProtocol.Stats s = p.measure(q, () -> q.now);
    assertEquals(20, s.runs());
    assertEquals(23, q.runs, "3 warm-up + 20 timed");
    assertEquals(1, q.settled, "settled once, after the warm-up");
    assertEquals(16, s.kept());
    assertTrue(s.ciHalfWidthPct() < 0.2, "" + s.ciHalfWidthPct());
  }

  @Test
  void noisyRunsLongerUntilTheIntervalIsNarrow() {
    LatencyProtocol p = new LatencyProtocol(4, 2, 0, 10, 0.1).withMaxRuns(300);
    Noisy n = new Noisy(0.05);
    LatencyProtocol.Stats s = p.measure(n, () -> n.now);
    // 5% per-run noise needs about (1.96 * 5 / 2)^2 = 24 runs for ±2%
    assertTrue(s.runs() > 15 && s.runs() < 80, "runs " + s.runs());
    assertTrue(s.ciHalfWidthPct() <= 2.0, "" + s.ciHalfWidthPct());
    assertEquals(s.runs() - 2 * (int) Math.floor(s.runs() * 0.1 + 1e-9), s.kept());
  }

  @Test
  void veryNoisyIsBoundedByMaxRuns() {
    LatencyProtocol p = new LatencyProtocol(4, 2, 0, 10, 0.1).withMaxRuns(40);
    Noisy n = new Noisy(0.5);
    LatencyProtocol.Stats s = p.measure(n, () -> n.now);
    assertEquals(40, s.runs());
    assertEquals(40, n.runs);
    assertTrue(s.ciHalfWidthPct() > 2.0, "" + s.ciHalfWidthPct());
  }

  @Test
  void fixedProtocolTimesExactlyRuns() {
    Noisy n = new Noisy(0.5);
    LatencyProtocol.Stats s = new LatencyProtocol(4, 2, 1, 6, 0.1).measure(n, () -> n.now);
    assertEquals(6, s.runs());
    assertEquals(7, n.runs);
  }

  @Test
  void halfWidthOfTheTrimmedMean() {
    // 10 values, trim 0.1: keep 8; winsorized values 2,2,3,...,9,9
    double[] xs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 100};
    double[] w = {2, 2, 3, 4, 5, 6, 7, 8, 9, 9};
    double wm = 5.5;
    double ss = 0;
    for (double x : w) {
      ss += (x - wm) * (x - wm);
    }
    double se = Math.sqrt(ss / 9) * Math.sqrt(10) / 8;
    double t7 = 2.364624251592785; // Student's t, 0.975, 7 degrees of freedom
    assertEquals(t7 * se / 5.5, LatencyProtocol.relativeHalfWidth(xs, 0.1), 1e-9);
    assertEquals(
        Double.POSITIVE_INFINITY, LatencyProtocol.relativeHalfWidth(new double[] {3}, 0.1));
    assertEquals(0.0, LatencyProtocol.relativeHalfWidth(new double[] {3, 3, 3}, 0.1));
  }

  /**
   * A machine on which other processes use the scripted number of cores (NaN: unknown) in each
   * interval sampled, without pinning or pauses: each timing samples before it and during it.
   */
  static final class Scripted implements QuietTiming.Machine {
    final List<Double> others;
    long busy;
    long total;
    boolean unknown;
    int pauses;
    int pins;

    Scripted(Double... others) {
      this.others = new ArrayList<>(List.of(others));
    }

    @Override
    public double load1() {
      return 1.25;
    }

    /**
     * Each call after the first ends an interval of 100 ticks per core with the next scripted use.
     */
    @Override
    public QuietTiming.Ticks ticks() {
      if (total > 0 || busy > 0) {
        double o = others.remove(0);
        unknown = Double.isNaN(o);
        busy += unknown ? 0 : Math.round(o * 100);
      }
      total += 200;
      return unknown ? QuietTiming.Ticks.UNKNOWN : new QuietTiming.Ticks(busy, total, 0, 0);
    }

    @Override
    public void sampleWait() {}

    @Override
    public int cores() {
      return 2;
    }

    @Override
    public String governor(int cpu) {
      return "performance";
    }

    @Override
    public CpuAffinity.Pin pin() {
      pins++;
      return CpuAffinity.none();
    }

    @Override
    public void pause() {
      pauses++;
    }
  }

  @Test
  void loadedRowsAreRetimedBoundedAndMarked() {
    LatencyProtocol p = new LatencyProtocol(4, 2, 0, 3, 0.1);
    Noisy n = new Noisy(0.01);
    // before and during the first timing others use 0.2 and 0.9 cores of 2: re-timed; then 0.1 and
    // 0.3
    Scripted quietSecond = new Scripted(0.2, 0.9, 0.0, 0.1, 0.3);
    QuietTiming.Outcome o = QuietTiming.measure(p, n, () -> n.now, quietSecond, 3);
    assertEquals(2, o.tries());
    assertFalse(o.underLoad());
    assertEquals(1.25, o.loadBefore());
    assertEquals(0.3, o.othersCores(), 1e-9);
    assertEquals(0.0, o.stealPct(), 1e-9);
    assertEquals(1, quietSecond.pauses);
    assertEquals("none", o.affinity());
    assertEquals("performance", o.governor());
    assertEquals(6, n.runs, "timed twice");

    Scripted busy = new Scripted(0.1, 1.0, 0.0, 0.1, 1.0, 0.0, 0.1, 1.0);
    QuietTiming.Outcome b = QuietTiming.measure(p, n, () -> n.now, busy, 3);
    assertEquals(3, b.tries());
    assertTrue(b.underLoad());
    assertEquals(2, busy.pauses, "no pause after the last try");

    // a timing that starts under load takes the minimum, one that starts quiet may run to the
    // maximum
    LatencyProtocol adaptive = new LatencyProtocol(4, 2, 0, 3, 0.1).withMaxRuns(40);
    Noisy wild = new Noisy(0.5);
    // and only a timing that starts quiet is pinned
    Scripted loadedStart = new Scripted(0.8, 0.0);
    assertEquals(
        3, QuietTiming.measure(adaptive, wild, () -> wild.now, loadedStart, 1).stats().runs());
    assertEquals(0, loadedStart.pins);
    Scripted quietStart = new Scripted(0.4, 1.5);
    assertEquals(
        40, QuietTiming.measure(adaptive, wild, () -> wild.now, quietStart, 1).stats().runs());
    assertEquals(1, quietStart.pins);

    Scripted unknown = new Scripted(Double.NaN, Double.NaN);
    assertFalse(
        QuietTiming.measure(p, n, () -> n.now, unknown, 3).underLoad(),
        "an unknown load counts as quiet");
    assertTrue(QuietTiming.loaded(0.51, 2));
    assertFalse(QuietTiming.loaded(0.5, 2));
    assertFalse(QuietTiming.loaded(2.4, 4));
    assertTrue(QuietTiming.loaded(2.6, 4));
    assertFalse(QuietTiming.loaded(Double.NaN, 2));
  }

  @Test
  void pinsTheCallingThreadToOneCpuAndRestores() throws Exception {
    BitSet before = CpuAffinity.of(0).orElse(null);
    assumeTrue(before != null && !before.isEmpty(), "sched_getaffinity is not available here");
    int last = before.length() - 1;
    // another thread of this process, to see it moved off the core and back
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    int[] otherTid = new int[1];
    Thread other =
        new Thread(
            () -> {
              otherTid[0] = CpuAffinity.selfTid();
              started.countDown();
              try {
                done.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    other.start();
    started.await();
    try (CpuAffinity.Pin pin = CpuAffinity.pin()) {
      assumeTrue(pin.cpu() >= 0, "sched_setaffinity is not permitted here");
      assertEquals(last, pin.cpu());
      assertEquals("cpu " + last, pin.describe());
      BitSet during = CpuAffinity.of(0).orElseThrow();
      assertEquals(1, during.cardinality(), during.toString());
      assertTrue(during.get(last));
      if (before.cardinality() > 1) {
        assertTrue(pin.movedThreads() > 0);
        assertFalse(
            CpuAffinity.of(otherTid[0]).orElseThrow().get(last), "other threads are off the core");
      }
    } finally {
      assertEquals(before, CpuAffinity.of(0).orElseThrow(), "the previous mask is restored");
    }
    assertEquals(
        before, CpuAffinity.of(otherTid[0]).orElseThrow(), "other threads get their masks back");
    done.countDown();
    other.join();
  }

  @Test
  void maskLayoutIsTheKernels() {
    BitSet b = new BitSet();
    b.set(1);
    b.set(9);
    byte[] m = CpuAffinity.toMask(b);
    assertEquals(CpuAffinity.MASK_BYTES, m.length);
    assertEquals(2, m[0]);
    assertEquals(2, m[1]);
    assertEquals(9, CpuAffinity.choose(b));
  }
}
