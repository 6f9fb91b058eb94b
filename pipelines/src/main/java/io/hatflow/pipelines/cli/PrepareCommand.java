package io.hatflow.pipelines.cli;

import io.hatflow.pipelines.stages.PrepareStage;
import io.hatflow.pipelines.stages.Stage;
import picocli.CommandLine.Command;

@Command(
    name = "prepare",
    mixinStandardHelpOptions = true,
    description =
        "Turn the spec's parallel corpus into subword-encoded, length-bucketed Avro shards and a joint BPE vocabulary.")
public final class PrepareCommand extends StageCommand {
  @Override
  Stage stage() {
    return new PrepareStage();
  }
}
