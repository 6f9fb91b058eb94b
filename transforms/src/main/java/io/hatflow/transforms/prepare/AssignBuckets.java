package io.hatflow.transforms.prepare;

import io.hatflow.schemas.SentencePair;
import java.util.List;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Sets each pair's length bucket ({@link PairRules#bucketOf}) so training can batch sentences of
 * similar length.
 */
public final class AssignBuckets
    extends PTransform<PCollection<SentencePair>, PCollection<SentencePair>> {
  private final List<Integer> bounds;

  private AssignBuckets(List<Integer> bounds) {
    for (int i = 0; i < bounds.size(); i++) {
      if (bounds.get(i) < 1 || (i > 0 && bounds.get(i) <= bounds.get(i - 1))) {
        throw new IllegalArgumentException(
            "bucket bounds must be positive and increasing: " + bounds);
      }
    }
    this.bounds = List.copyOf(bounds);
  }

  public static AssignBuckets of(List<Integer> bounds) {
    return new AssignBuckets(bounds);
  }

  @Override
  public PCollection<SentencePair> expand(PCollection<SentencePair> input) {
    List<Integer> b = bounds;
    return input
        .apply(
            "Bucket",
            ParDo.of(
                new DoFn<SentencePair, SentencePair>() {
                  @ProcessElement
                  public void process(@Element SentencePair p, OutputReceiver<SentencePair> out) {
                    out.output(
                        SentencePair.newBuilder(p)
                            .setBucket(PairRules.bucketOf(p.getSrcLen(), p.getTgtLen(), b))
                            .build());
                  }
                }))
        .setCoder(AvroCoder.specific(SentencePair.class));
  }
}
