package io.hatflow.transforms.prepare;

import io.hatflow.core.run.UserInputException;
import io.hatflow.schemas.SentencePair;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Carves valid and test out of (deduplicated) train pairs when they are not given: the pairs with
 * the {@code validSize + testSize} smallest ids (a stable hash of the text) are taken, the smallest
 * {@code validSize} for valid and the next {@code testSize} for test. Exact sizes, the same on any
 * runner and for any input order.
 */
public final class SplitPairs
    extends PTransform<PCollection<SentencePair>, PCollection<SentencePair>> {
  private final int validSize;
  private final int testSize;

  private SplitPairs(int validSize, int testSize) {
    if (validSize < 0 || testSize < 0 || validSize + testSize == 0) {
      throw new UserInputException(
          "valid and test sizes must be >= 0 and not both 0: " + validSize + ", " + testSize);
    }
    this.validSize = validSize;
    this.testSize = testSize;
  }

  public static SplitPairs of(int validSize, int testSize) {
    return new SplitPairs(validSize, testSize);
  }

  /** The split of a train pair given the sorted smallest ids. */
  public static Map<String, String> assignment(List<String> smallestIds, int validSize) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < smallestIds.size(); i++) {
      m.put(smallestIds.get(i), i < validSize ? "valid" : "test");
    }
    return m;
  }

  @Override
  public PCollection<SentencePair> expand(PCollection<SentencePair> train) {
    PCollectionView<List<String>> carved =
        train
            .apply("Ids", MapElements.into(TypeDescriptors.strings()).via(SentencePair::getId))
            .apply("SmallestIds", Top.<String>smallest(validSize + testSize).withoutDefaults())
            .apply("AsView", View.asSingleton());
    int v = validSize;
    return train
        .apply(
            "Relabel",
            ParDo.of(
                    new DoFn<SentencePair, SentencePair>() {
                      private transient List<String> seen;
                      private transient Map<String, String> splitOf;

                      @ProcessElement
                      public void process(ProcessContext c) {
                        List<String> ids = c.sideInput(carved);
                        if (ids != seen) {
                          seen = ids;
                          splitOf = assignment(ids, v);
                        }
                        SentencePair p = c.element();
                        String split = splitOf.get(p.getId());
                        c.output(
                            split == null ? p : SentencePair.newBuilder(p).setSplit(split).build());
                      }
                    })
                .withSideInputs(carved))
        .setCoder(AvroCoder.specific(SentencePair.class));
  }
}
