package io.hatflow.pipelines.stages;

import io.hatflow.core.run.Digests;
import io.hatflow.core.spec.Spec;
import io.hatflow.pipelines.io.InputFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The spec's inputs as they enter stage fingerprints: by content, never by where they lie. A spec
 * resolves its paths against its own folder, so the same spec in another clone (or a run directory
 * copied elsewhere) names other absolute paths for the same bytes; fingerprints must not see that.
 */
final class Contents {
  private Contents() {}

  /**
   * A local file or folder as its SHA-256; a remote URI as written (reading it here would need the
   * network just to find a stage cached: a changed object needs a new name); a missing local path
   * by its file name only (the stage that reads it fails with the full path).
   */
  static String of(String pathOrUri) {
    if (pathOrUri == null) {
      return null;
    }
    if (InputFiles.isRemote(pathOrUri)) {
      return pathOrUri;
    }
    Path p = Path.of(pathOrUri);
    return Files.exists(p) ? "sha256:" + Digests.sha256Tree(p) : "missing:" + p.getFileName();
  }

  static Spec.Corpus of(Spec.Corpus c) {
    return c == null ? null : new Spec.Corpus(of(c.src()), of(c.tgt()), of(c.tsv()));
  }

  static Spec.DataSpec of(Spec.DataSpec d) {
    return new Spec.DataSpec(
        of(d.train()),
        of(d.valid()),
        of(d.test()),
        d.validSize(),
        d.testSize(),
        d.vocabSize(),
        of(d.vocabFrom()),
        d.maxTokens(),
        d.maxRatio(),
        d.shards());
  }

  /** Targets with an imported latency dataset and transfer sources named by their content. */
  static List<Spec.TargetSpec> of(List<Spec.TargetSpec> targets) {
    return targets.stream()
        .map(
            t ->
                new Spec.TargetSpec(
                    t.name(),
                    t.latency().measured()
                        ? t.latency()
                        : new Spec.LatencySource(of(t.latency().dataset()), null),
                    t.budgetsMs(),
                    t.budgetsPct(),
                    t.predictorModel(),
                    t.predictorSeed(),
                    t.engine(),
                    of(t.transfer())))
        .toList();
  }

  static Spec.Transfer of(Spec.Transfer t) {
    return t == null
        ? null
        : new Spec.Transfer(t.from().stream().map(Contents::of).toList(), t.rows());
  }
}
