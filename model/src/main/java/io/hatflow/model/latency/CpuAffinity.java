package io.hatflow.model.latency;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Pins the calling thread to one core while it times, through libc's {@code sched_setaffinity}
 * (JNA; pid 0 is the calling thread on Linux), and moves the process's other threads (GC, JIT,
 * Beam's) off that core for the same time. Best effort: where it fails (not Linux, a seccomp
 * filter, no libc) {@link #pin} says {@code none} and nothing changed. Everything is restored by
 * {@link Pin#close}.
 */
public final class CpuAffinity {
  private CpuAffinity() {}

  /** Bytes of the CPU mask passed to the kernel: room for 1024 CPUs (glibc's cpu_set_t). */
  static final int MASK_BYTES = 128;

  interface LibC extends Library {
    int sched_getaffinity(int pid, NativeLong size, byte[] mask);

    int sched_setaffinity(int pid, NativeLong size, byte[] mask);
  }

  private static final class Holder {
    static final LibC C = load();

    private static LibC load() {
      if (!Platform.isLinux()) {
        return null;
      }
      try {
        return Native.load(Platform.C_LIBRARY_NAME, LibC.class);
      } catch (Throwable e) { // UnsatisfiedLinkError, or JNA's native part missing
        return null;
      }
    }
  }

  /**
   * The CPUs a thread ({@code tid}; 0: the calling thread) may run on, or empty where that cannot
   * be read.
   */
  public static Optional<BitSet> of(int tid) {
    LibC c = Holder.C;
    if (c == null) {
      return Optional.empty();
    }
    byte[] mask = new byte[MASK_BYTES];
    return c.sched_getaffinity(tid, new NativeLong(MASK_BYTES), mask) == 0
        ? Optional.of(BitSet.valueOf(mask))
        : Optional.empty();
  }

  static boolean set(int tid, BitSet cpus) {
    LibC c = Holder.C;
    return c != null
        && !cpus.isEmpty()
        && c.sched_setaffinity(tid, new NativeLong(MASK_BYTES), toMask(cpus)) == 0;
  }

  /**
   * BitSet's bytes are the kernel's layout (CPU i: byte i / 8, bit i % 8), padded to {@link
   * #MASK_BYTES}.
   */
  static byte[] toMask(BitSet cpus) {
    byte[] b = cpus.toByteArray();
    byte[] out = new byte[MASK_BYTES];
    System.arraycopy(b, 0, out, 0, Math.min(b.length, MASK_BYTES));
    return out;
  }

  /**
   * The core to time on: the last allowed one (CPU 0 takes most interrupts and is where the kernel
   * and other processes tend to start).
   */
  static int choose(BitSet allowed) {
    return allowed.length() - 1;
  }

  /**
   * A pinning in force; {@link #close} restores the caller's and the other threads' previous masks.
   */
  public static final class Pin implements AutoCloseable {
    private final int cpu;
    private final BitSet previous;
    private final Map<Integer, BitSet> others;

    private Pin(int cpu, BitSet previous, Map<Integer, BitSet> others) {
      this.cpu = cpu;
      this.previous = previous;
      this.others = others;
    }

    /** The core the caller runs on, or -1 when not pinned. */
    public int cpu() {
      return cpu;
    }

    /** What a latency row records: {@code cpu N} or {@code none}. */
    public String describe() {
      return cpu < 0 ? "none" : "cpu " + cpu;
    }

    /** How many other threads of this process were moved off the core. */
    public int movedThreads() {
      return others.size();
    }

    @Override
    public void close() {
      if (cpu >= 0) {
        set(0, previous);
        // a thread that ended meanwhile just fails to restore
        others.forEach(CpuAffinity::set);
      }
    }
  }

  private static final Pin NONE = new Pin(-1, null, Map.of());

  /** No pinning (for machines where it is not wanted, and tests). */
  public static Pin none() {
    return NONE;
  }

  /**
   * Pins the calling thread to the last CPU it may run on and moves the process's other threads off
   * that CPU (where they may run elsewhere). Call on the thread that times, and close on it too.
   */
  public static Pin pin() {
    Optional<BitSet> prev = of(0);
    if (prev.isEmpty() || prev.get().isEmpty()) {
      return NONE;
    }
    int cpu = choose(prev.get());
    BitSet one = new BitSet();
    one.set(cpu);
    if (!set(0, one)) {
      return NONE;
    }
    Map<Integer, BitSet> moved = new LinkedHashMap<>();
    int self = selfTid();
    for (int tid : tasks()) {
      if (tid == self || self < 0) {
        continue;
      }
      Optional<BitSet> m = of(tid);
      if (m.isPresent() && m.get().get(cpu)) {
        BitSet off = (BitSet) m.get().clone();
        off.clear(cpu);
        if (set(tid, off)) {
          moved.put(tid, m.get());
        }
      }
    }
    return new Pin(cpu, prev.get(), moved);
  }

  /**
   * The calling thread's id as Linux names it ({@code /proc/thread-self -> PID/task/TID}), or -1.
   */
  static int selfTid() {
    try {
      return Integer.parseInt(
          Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static List<Integer> tasks() {
    List<Integer> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of("/proc/self/task"))) {
      s.forEach(
          p -> {
            try {
              out.add(Integer.parseInt(p.getFileName().toString()));
            } catch (NumberFormatException e) {
              // not a task
            }
          });
    } catch (IOException | RuntimeException e) {
      // no /proc: nothing to move
    }
    return out;
  }
}
