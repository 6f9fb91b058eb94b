package io.hatflow.pipelines.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * What every pipeline command takes: the spec, the run directory, overrides, and Beam's own
 * options.
 */
public class RunArgs {
  @Option(
      names = "--spec",
      required = true,
      paramLabel = "FILE",
      converter = LocalPath.Spec.class,
      description = "Versioned run spec (YAML, version: 1), a local file.")
  Path spec;

  @Option(
      names = "--run-dir",
      paramLabel = "DIR|URI",
      description =
          "Run directory: a local path (default: runs/<spec name>) or hdfs://HOST:PORT/path, gs://BUCKET/path.")
  String runDir;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description =
          "Override one spec value, e.g. --set data.vocab.size=4000 (repeatable; validated and recorded).")
  List<String> sets = new ArrayList<>();

  String runDirOr(String specName) {
    return runDir != null ? runDir : Path.of("runs", specName).toString();
  }
}
