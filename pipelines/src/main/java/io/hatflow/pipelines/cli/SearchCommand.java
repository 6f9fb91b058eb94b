package io.hatflow.pipelines.cli;

import io.hatflow.pipelines.stages.SearchStage;
import io.hatflow.pipelines.stages.Stage;
import picocli.CommandLine.Command;

@Command(
    name = "search",
    mixinStandardHelpOptions = true,
    description =
        "HAT's evolutionary search over every (target, budget) of the spec as one Beam fan-out per "
            + "generation; writes winners, Pareto frontiers and history to search/.")
public final class SearchCommand extends StageCommand {
  @Override
  Stage stage() {
    return new SearchStage();
  }
}
