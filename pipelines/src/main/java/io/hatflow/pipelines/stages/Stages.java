package io.hatflow.pipelines.stages;

import io.hatflow.core.run.UserInputException;
import java.util.ArrayList;
import java.util.List;

/** HAT's stages in run order. */
public final class Stages {
  private Stages() {}

  public static List<Stage> all() {
    return List.of(
        new PrepareStage(),
        new TrainStage(),
        new LatencyStage(),
        new PredictorStage(),
        new SearchStage(),
        new FinalizeStage(),
        new ReportStage());
  }

  public static List<String> names() {
    List<String> out = new ArrayList<>();
    for (Stage s : all()) {
      out.add(s.name());
    }
    return out;
  }

  public static Stage named(String name) {
    for (Stage s : all()) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    throw new UserInputException(
        "unknown stage \"" + name + "\" (stages: " + String.join(", ", names()) + ")");
  }

  /** The stages that depend on {@code name}, directly or through others, in run order. */
  public static List<String> downstream(String name) {
    java.util.Set<String> hit = new java.util.HashSet<>(List.of(name));
    List<String> out = new ArrayList<>();
    for (Stage s : all()) { // run order: a stage's upstream comes before it
      if (s.upstream().stream().anyMatch(hit::contains)) {
        hit.add(s.name());
        out.add(s.name());
      }
    }
    return out;
  }

  /** The stages selected by {@code --from} / {@code --only} (at most one of them). */
  public static List<Stage> select(String from, String only) {
    if (from != null && only != null) {
      throw new UserInputException("give --from or --only, not both");
    }
    if (only != null) {
      return List.of(named(only));
    }
    List<Stage> all = all();
    if (from == null) {
      return all;
    }
    named(from);
    int i = 0;
    while (!all.get(i).name().equals(from)) {
      i++;
    }
    return all.subList(i, all.size());
  }
}
