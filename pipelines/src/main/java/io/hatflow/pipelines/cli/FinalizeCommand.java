package io.hatflow.pipelines.cli;

import io.hatflow.pipelines.stages.FinalizeStage;
import io.hatflow.pipelines.stages.Stage;
import picocli.CommandLine.Command;

@Command(
    name = "finalize",
    mixinStandardHelpOptions = true,
    description =
        "Train the search's winners (and random controls) further, score BLEU and latency, and check "
            + "whether inherited fitness ranks them right; a killed or failed finalize resumes from its last "
            + "checkpoints when run again.")
public final class FinalizeCommand extends StageCommand {
  @Override
  Stage stage() {
    return new FinalizeStage();
  }
}
