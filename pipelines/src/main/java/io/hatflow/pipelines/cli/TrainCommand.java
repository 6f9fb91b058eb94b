package io.hatflow.pipelines.cli;

import io.hatflow.pipelines.stages.Stage;
import io.hatflow.pipelines.stages.TrainStage;
import picocli.CommandLine.Command;

@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description =
        "Train the weight-sharing SuperTransformer on prepare's shards (one random SubTransformer per step); "
            + "a killed or failed training resumes from its last checkpoint when the same command is run again.")
public final class TrainCommand extends StageCommand {
  @Override
  Stage stage() {
    return new TrainStage();
  }
}
