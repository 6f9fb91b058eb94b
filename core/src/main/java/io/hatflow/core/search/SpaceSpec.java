package io.hatflow.core.search;

import io.hatflow.core.space.SearchSpace;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link SearchSpace} in a form that travels to workers (Java serialization); {@link #toSpace()}
 * rebuilds it.
 */
public final class SpaceSpec implements Serializable {
  private final String name;
  private final int qkvDim;
  private final String[] genes;
  private final int[][] choices;

  private SpaceSpec(String name, int qkvDim, String[] genes, int[][] choices) {
    this.name = name;
    this.qkvDim = qkvDim;
    this.genes = genes;
    this.choices = choices;
  }

  public static SpaceSpec of(SearchSpace s) {
    List<String> names = new ArrayList<>(s.genes().keySet());
    int[][] c = new int[names.size()][];
    for (int i = 0; i < c.length; i++) {
      c[i] = s.choices(names.get(i)).stream().mapToInt(Integer::intValue).toArray();
    }
    return new SpaceSpec(s.name(), s.qkvDim(), names.toArray(String[]::new), c);
  }

  public SearchSpace toSpace() {
    Map<String, List<Integer>> g = new LinkedHashMap<>();
    for (int i = 0; i < genes.length; i++) {
      g.put(genes[i], java.util.Arrays.stream(choices[i]).boxed().toList());
    }
    return new SearchSpace(name, qkvDim, g);
  }
}
