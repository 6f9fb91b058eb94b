package io.hatflow.model.latency;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * One config timed by a {@link LatencyProtocol} under recorded conditions: pinned ({@link CpuAffinity}), with the
 * CPU governor and the 1-minute load average before and after; timed again (after a pause) while the load was
 * above the core count, at most {@code tries} times, the last timing kept and marked as taken under load. A
 * timing that starts under load takes the protocol's minimum of runs, not the adaptive maximum, and is not pinned.
 */
public final class QuietTiming {
  private QuietTiming() {}

  /** Re-measurements of a row taken under load: the first timing and two more. */
  public static final int TRIES = 3;

  /** What the machine is asked; {@link #HOST} reads this one, tests fake it. */
  public interface Machine {
    /** The 1-minute load average, NaN where unknown. */
    double load1();

    int cores();

    /** The scaling governor of {@code cpu} (-1: CPU 0), or "unknown". */
    String governor(int cpu);

    CpuAffinity.Pin pin();

    /** Waits before a timing taken under load is repeated. */
    void pause();
  }

  /** A timing and the conditions it was taken under. */
  public record Outcome(LatencyProtocol.Stats stats, String affinity, String governor, double loadBefore,
                        double loadAfter, boolean underLoad, int tries) {}

  /** Load above the core count at the start or the end of a timing (an unknown load counts as quiet). */
  public static boolean loaded(double before, double after, int cores) {
    return before > cores || after > cores;
  }

  public static Outcome measure(LatencyProtocol p, LatencyProtocol.Subject s, LongSupplier nanoTime, Machine m,
      int tries) {
    for (int i = 1; ; i++) {
      double before = m.load1();
      // under load the interval rarely narrows to ±2%: extra runs would only cost time, so the minimum is timed;
      // and with more runnable threads than cores a pinned thread waits for its one core while another may be
      // free (measured: median total std/mean 55.6% pinned vs 38.2% unpinned at load 4.2 on 2 cores)
      boolean busy = loaded(before, before, m.cores());
      LatencyProtocol q = busy ? p.withMaxRuns(p.runs()) : p;
      LatencyProtocol.Stats st;
      String affinity;
      String governor;
      try (CpuAffinity.Pin pin = busy ? CpuAffinity.none() : m.pin()) {
        affinity = pin.describe();
        governor = m.governor(pin.cpu());
        st = q.measure(s, nanoTime);
      }
      double after = m.load1();
      boolean loaded = loaded(before, after, m.cores());
      if (!loaded || i >= tries) {
        return new Outcome(st, affinity, governor, before, after, loaded, i);
      }
      m.pause();
    }
  }

  /**
   * This machine: /proc/loadavg, cpufreq's governor, {@link CpuAffinity#pin}, a 3 s pause (the 1-minute average
   * hardly moves in 3 s; it is a chance for a burst to end, not a wait for the average to fall).
   */
  public static final Machine HOST = new Machine() {
    @Override
    public double load1() {
      try {
        return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
      } catch (IOException | RuntimeException e) {
        return Double.NaN;
      }
    }

    @Override
    public int cores() {
      return Runtime.getRuntime().availableProcessors();
    }

    @Override
    public String governor(int cpu) {
      Path f = Path.of("/sys/devices/system/cpu/cpu" + Math.max(cpu, 0) + "/cpufreq/scaling_governor");
      try {
        return Files.readString(f).trim();
      } catch (IOException | RuntimeException e) {
        return "unknown";
      }
    }

    /** {@code -Dhatflow.latency.pin=false} times unpinned (the bench's "before"). */
    @Override
    public CpuAffinity.Pin pin() {
      return Boolean.parseBoolean(System.getProperty("hatflow.latency.pin", "true")) ? CpuAffinity.pin()
          : CpuAffinity.none();
    }

    @Override
    public void pause() {
      try {
        Thread.sleep(3000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  };
}
