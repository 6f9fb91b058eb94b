package io.hatflow.transforms.prepare;

import io.hatflow.schemas.SentencePair;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

/** Keeps one of each exact duplicate (same split, same normalised src and tgt); the rest go to DROPPED. */
public final class DropDuplicates extends PTransform<PCollection<SentencePair>, PCollectionTuple> {
  public static DropDuplicates create() {
    return new DropDuplicates();
  }

  @Override
  public PCollectionTuple expand(PCollection<SentencePair> input) {
    PCollectionTuple out = input
        .apply("KeyBySplitAndId", WithKeys.of((SentencePair p) -> p.getSplit() + "\t" + p.getId())
            .withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), AvroCoder.of(SentencePair.class)))
        .apply("GroupEqualPairs", GroupByKey.create())
        .apply("KeepOne", ParDo.of(new DoFn<KV<String, Iterable<SentencePair>>, SentencePair>() {
          private final Counter dropped = Metrics.counter("prepare", "dropped_duplicate");

          @ProcessElement
          public void process(@Element KV<String, Iterable<SentencePair>> group, MultiOutputReceiver out) {
            boolean first = true;
            for (SentencePair p : group.getValue()) {
              if (first) {
                out.get(PrepareTags.KEPT).output(p);
                first = false;
              } else {
                dropped.inc();
                out.get(PrepareTags.DROPPED).output(PrepareTags.dropLabel(p.getSplit(),
                    PairRules.DropReason.DUPLICATE));
              }
            }
          }
        }).withOutputTags(PrepareTags.KEPT, TupleTagList.of(PrepareTags.DROPPED)));
    out.get(PrepareTags.KEPT).setCoder(AvroCoder.of(SentencePair.class));
    out.get(PrepareTags.DROPPED).setCoder(StringUtf8Coder.of());
    return out;
  }
}
