package io.hatflow.pipelines.cli;

import io.hatflow.core.run.UserInputException;
import io.hatflow.core.spec.FrozenSpec;
import io.hatflow.core.spec.SpecLoader;
import io.hatflow.pipelines.stages.Stages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "The whole HAT path on the bundled testdata/ with the tiny space (launch/specs/demo.yaml).")
public final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--run-dir",
      paramLabel = "DIR|URI",
      defaultValue = "runs/demo",
      description =
          "A local path or hdfs://HOST:PORT/path, gs://BUCKET/path. Default: ${DEFAULT-VALUE}.")
  String runDir;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override a value of the demo spec.")
  List<String> sets = new ArrayList<>();

  @Option(
      names = "--force",
      paramLabel = "STAGE",
      description = "Run this stage even if cached ('all' for every stage).")
  List<String> force = new ArrayList<>();

  @Unmatched List<String> beamArgs = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    Path spec = demoSpec();
    FrozenSpec frozen = SpecLoader.load(spec, sets);
    // The demo owns its run directory: a demo of another spec (older code, other --set) is
    // replaced, and
    // stages whose fingerprints still match stay cached.
    return RunCommand.runStages(
        frozen, runDir, BeamArgs.parse(beamArgs), beamArgs, Stages.all(), force, true);
  }

  static Path demoSpec() {
    String home = System.getProperty("hatflow.home");
    List<Path> tries = new ArrayList<>();
    if (home != null) {
      tries.add(Path.of(home, "launch", "specs", "demo.yaml"));
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      tries.add(d.resolve("launch/specs/demo.yaml"));
    }
    for (Path p : tries) {
      if (Files.exists(p)) {
        return p;
      }
    }
    throw new UserInputException(
        "launch/specs/demo.yaml not found (set -Dhatflow.home to the hatflow checkout)");
  }
}
