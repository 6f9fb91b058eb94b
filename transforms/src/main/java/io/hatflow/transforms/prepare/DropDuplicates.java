package io.hatflow.transforms.prepare;

import io.hatflow.schemas.SentencePair;
import java.util.HashSet;
import java.util.Set;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
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

/**
 * Keeps one of each exact duplicate (same split, same normalised src and tgt, hence same id); the
 * rest go to DROPPED. Pairs are grouped into {@value #GROUPS} groups by id and deduplicated within
 * a group: few keys keep the DirectRunner fast (it slows down badly with many keys), and the
 * shuffle also spreads the pairs, read by one worker per file, over all workers.
 */
public final class DropDuplicates extends PTransform<PCollection<SentencePair>, PCollectionTuple> {
  static final int GROUPS = 64;

  public static DropDuplicates create() {
    return new DropDuplicates();
  }

  /** The group of a pair id: its first byte, folded into {@value #GROUPS} groups. */
  static int groupOf(String id) {
    return Integer.parseInt(id.substring(0, 2), 16) % GROUPS;
  }

  @Override
  public PCollectionTuple expand(PCollection<SentencePair> input) {
    PCollectionTuple out =
        input
            .apply(
                "KeyByIdGroup",
                WithKeys.of((SentencePair p) -> groupOf(p.getId()))
                    .withKeyType(TypeDescriptors.integers()))
            .setCoder(KvCoder.of(VarIntCoder.of(), AvroCoder.specific(SentencePair.class)))
            .apply("GroupById", GroupByKey.create())
            .apply(
                "KeepFirst",
                ParDo.of(
                        new DoFn<KV<Integer, Iterable<SentencePair>>, SentencePair>() {
                          private final Counter dropped =
                              Metrics.counter("prepare", "dropped_duplicate");

                          @ProcessElement
                          public void process(
                              @Element KV<Integer, Iterable<SentencePair>> group,
                              MultiOutputReceiver out) {
                            Set<String> seen = new HashSet<>();
                            for (SentencePair p : group.getValue()) {
                              if (seen.add(p.getSplit() + "\t" + p.getId())) {
                                out.get(PrepareTags.KEPT).output(p);
                              } else {
                                dropped.inc();
                                out.get(PrepareTags.DROPPED)
                                    .output(
                                        PrepareTags.dropLabel(
                                            p.getSplit(), PairRules.DropReason.DUPLICATE));
                              }
                            }
                          }
                        })
                    .withOutputTags(PrepareTags.KEPT, TupleTagList.of(PrepareTags.DROPPED)));
    out.get(PrepareTags.KEPT).setCoder(AvroCoder.specific(SentencePair.class));
    out.get(PrepareTags.DROPPED).setCoder(StringUtf8Coder.of());
    return out;
  }
}
