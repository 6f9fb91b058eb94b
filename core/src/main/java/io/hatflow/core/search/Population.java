package io.hatflow.core.search;

import io.hatflow.core.space.SubConfig;
import java.util.List;

/**
 * The candidates of one search for one generation, in slot order, with the parents they were bred
 * from (empty for the first generation) and warnings (e.g. a slot that constrained sampling could
 * not fill).
 */
public record Population(
    SearchId search,
    int generation,
    List<SubConfig> members,
    List<Scored> parents,
    List<String> warnings) {
  public Population {
    members = List.copyOf(members);
    parents = List.copyOf(parents);
    warnings = List.copyOf(warnings);
  }
}
