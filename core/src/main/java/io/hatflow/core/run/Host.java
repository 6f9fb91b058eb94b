package io.hatflow.core.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Facts about this machine recorded in lineage and latency records. */
public final class Host {
  private Host() {}

  public static String name() {
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isBlank()) {
      return h;
    }
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown-host";
    }
  }

  /** The CPU model from /proc/cpuinfo (Linux), or os.arch elsewhere. */
  public static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: fall through.
    }
    return System.getProperty("os.arch");
  }

  public static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** This process's peak resident set (VmHWM, Linux) in bytes, -1 where unknown. */
  public static long peakRssBytes() {
    return status("VmHWM:");
  }

  /** This process's resident set now (VmRSS, Linux) in bytes, -1 where unknown. */
  public static long rssBytes() {
    return status("VmRSS:");
  }

  private static long status(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: unknown.
    }
    return -1;
  }

  public static long pid() {
    return ProcessHandle.current().pid();
  }
}
