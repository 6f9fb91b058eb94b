package io.hatflow.core.search;

/**
 * Search settings for tests: explicit values (the defaults belong to the spec; these need not match
 * them).
 */
final class Settings {
  private Settings() {}

  /**
   * HAT's sizes and a fixed seed, the text of the pre-mode state names pinned by {@link Nsga2Test}.
   */
  static SearchConfig hat() {
    return SearchConfig.builder()
        .sizes(125, 25, 50, 50, 30)
        .mutationProb(0.3)
        .seed(1)
        .fitnessPrecision(1e-4)
        .maxSampleTries(1000)
        .mode(SearchMode.HAT)
        .hvReference(Hypervolume.Reference.DEFAULT)
        .build();
  }
}
