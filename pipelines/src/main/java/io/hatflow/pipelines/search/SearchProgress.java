package io.hatflow.pipelines.search;

/** Told after every finished generation; the lead prints {@link GenerationReport#line()}. */
@FunctionalInterface
public interface SearchProgress {
  void onGeneration(GenerationReport report);

  SearchProgress NONE = r -> {};
}
