package io.hatflow.pipelines.prepare;

import io.hatflow.transforms.prepare.PairRules.DropReason;
import java.util.List;
import java.util.Map;

/**
 * What prepare wrote: counts per split, drops per split and reason, the vocabulary, the files (full
 * paths, sorted) and an order-independent digest of all records (equal on every runner for equal
 * input and config).
 */
public record PrepareResult(
    String outputDir,
    List<SplitCounts> splits,
    int vocabSize,
    String vocabDigest,
    String recordDigest,
    List<String> files) {

  public PrepareResult {
    splits = List.copyOf(splits);
    files = List.copyOf(files);
  }

  /** Pairs kept and dropped (by reason) in one split. */
  public record SplitCounts(String split, long kept, Map<DropReason, Long> dropped) {
    public SplitCounts {
      dropped = Map.copyOf(dropped);
    }

    public long dropped(DropReason r) {
      return dropped.getOrDefault(r, 0L);
    }
  }

  public SplitCounts split(String name) {
    return splits.stream()
        .filter(s -> s.split().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no split " + name));
  }
}
