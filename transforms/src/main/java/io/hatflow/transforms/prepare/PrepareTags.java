package io.hatflow.transforms.prepare;

import io.hatflow.schemas.SentencePair;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Output tags of the transforms that drop pairs: kept pairs, and one "split/reason" label per
 * dropped pair.
 */
public final class PrepareTags {
  private PrepareTags() {}

  public static final TupleTag<SentencePair> KEPT = new TupleTag<>("kept") {};
  public static final TupleTag<String> DROPPED = new TupleTag<>("dropped") {};

  /** The label of a dropped pair in the DROPPED output, e.g. {@code train/ratio}. */
  public static String dropLabel(String split, PairRules.DropReason reason) {
    return split + "/" + reason.label();
  }
}
