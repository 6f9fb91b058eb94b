package io.hatflow.pipelines.cli;

import io.hatflow.core.run.UserInputException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Beam's options as given on the command line ({@code --runner=FlinkRunner --flinkMaster=...
 * --parallelism=N}).
 */
final class BeamArgs {
  private BeamArgs() {}

  static PipelineOptions parse(List<String> args) {
    for (String a : args) {
      if (!a.startsWith("--")) {
        throw new UserInputException(
            "unexpected argument \"" + a + "\" (Beam options look like --name=value)");
      }
    }
    PipelineOptionsFactory.register(FlinkPipelineOptions.class);
    PipelineOptions o;
    try {
      o = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).withValidation().create();
    } catch (IllegalArgumentException e) {
      // Beam's own parser says what is wrong with the option (unknown name, bad value, unknown
      // runner).
      throw new UserInputException(e.getMessage(), e);
    }
    if (o.getRunner().getSimpleName().equals("DirectRunner")) {
      // The DirectRunner's immutability and encodability checks copy every element; they are test
      // aids that
      // make a real run several times slower. A user can still turn them on explicitly.
      org.apache.beam.runners.direct.DirectOptions d =
          o.as(org.apache.beam.runners.direct.DirectOptions.class);
      if (args.stream().noneMatch(a -> a.startsWith("--enforceImmutability"))) {
        d.setEnforceImmutability(false);
      }
      if (args.stream().noneMatch(a -> a.startsWith("--enforceEncodability"))) {
        d.setEnforceEncodability(false);
      }
    }
    if (o.getRunner().getSimpleName().equals("FlinkRunner")) {
      FlinkPipelineOptions f = o.as(FlinkPipelineOptions.class);
      checkFlinkMaster(f.getFlinkMaster());
      if (f.getFlinkMaster() != null
          && !f.getFlinkMaster().startsWith("[")
          && f.getFilesToStage() == null) {
        clusterJar().ifPresent(j -> f.setFilesToStage(List.of(j.toString())));
      }
    }
    return o;
  }

  /**
   * The jar to stage to a Flink cluster: {@code hatflow-cluster.jar} beside the running {@code
   * hatflow.jar}, without Flink, DJL and xgboost, which the cluster holds on its class path (see
   * the README). Every job (each search generation) ships its jar to every TaskManager, so two
   * thirds less is time saved per generation. {@code --filesToStage} given by the user wins; none
   * is found when running from classes.
   */
  static Optional<Path> clusterJar() {
    try {
      Path self =
          Path.of(BeamArgs.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path jar = self.resolveSibling("hatflow-cluster.jar");
      return self.getFileName().toString().endsWith(".jar") && Files.isRegularFile(jar)
          ? Optional.of(jar)
          : Optional.empty();
    } catch (URISyntaxException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * A wrong port makes Flink's client retry for a minute; a quick connect fails fast with a clear
   * message.
   */
  static void checkFlinkMaster(String master) {
    if (master == null || master.startsWith("[")) {
      return;
    }
    String hostPort = master.replaceFirst("^https?://", "");
    int colon = hostPort.lastIndexOf(':');
    String host = colon > 0 ? hostPort.substring(0, colon) : hostPort;
    int port;
    try {
      port =
          colon > 0 ? Integer.parseInt(hostPort.substring(colon + 1).replaceAll("/.*", "")) : 8081;
    } catch (NumberFormatException e) {
      throw new UserInputException("--flinkMaster=" + master + ": expected host:port");
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 3000);
    } catch (IOException e) {
      throw new UserInputException(
          "--flinkMaster="
              + master
              + ": no Flink REST endpoint answers at "
              + host
              + ":"
              + port
              + " ("
              + e.getMessage()
              + "); is the cluster up? (launch/flink-cluster.sh status)");
    }
  }

  /** The options worth recording in lineage (those the user set, plus the runner). */
  static Map<String, String> recorded(List<String> args, PipelineOptions o) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("runner", o.getRunner().getSimpleName());
    for (String a : new ArrayList<>(args)) {
      int eq = a.indexOf('=');
      m.put(eq > 0 ? a.substring(2, eq) : a.substring(2), eq > 0 ? a.substring(eq + 1) : "true");
    }
    return m;
  }
}
