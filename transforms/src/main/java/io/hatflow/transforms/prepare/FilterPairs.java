package io.hatflow.transforms.prepare;

import io.hatflow.schemas.SentencePair;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Drops encoded pairs by {@link PairRules#dropReason}: an empty side (any split); more than {@code
 * maxTokens} subwords on a side or a length ratio over {@code maxRatio} (train only). Each drop
 * increments the Beam counter {@code prepare/dropped_<reason>} and goes to DROPPED so the counts
 * also end up in the output.
 */
public final class FilterPairs extends PTransform<PCollection<SentencePair>, PCollectionTuple> {
  private final int maxTokens;
  private final double maxRatio;

  private FilterPairs(int maxTokens, double maxRatio) {
    if (maxTokens < 1 || !(maxRatio >= 1.0)) {
      throw new IllegalArgumentException(
          "max_tokens must be >= 1 and max_ratio >= 1.0, got " + maxTokens + ", " + maxRatio);
    }
    this.maxTokens = maxTokens;
    this.maxRatio = maxRatio;
  }

  public static FilterPairs of(int maxTokens, double maxRatio) {
    return new FilterPairs(maxTokens, maxRatio);
  }

  @Override
  public PCollectionTuple expand(PCollection<SentencePair> input) {
    int mt = maxTokens;
    double mr = maxRatio;
    PCollectionTuple out =
        input.apply(
            "Filter",
            ParDo.of(
                    new DoFn<SentencePair, SentencePair>() {
                      @ProcessElement
                      public void process(@Element SentencePair p, MultiOutputReceiver out) {
                        PairRules.DropReason r =
                            PairRules.dropReason(
                                p.getSrcLen(), p.getTgtLen(), "train".equals(p.getSplit()), mt, mr);
                        if (r == null) {
                          out.get(PrepareTags.KEPT).output(p);
                        } else {
                          Metrics.counter("prepare", "dropped_" + r.label()).inc();
                          out.get(PrepareTags.DROPPED)
                              .output(PrepareTags.dropLabel(p.getSplit(), r));
                        }
                      }
                    })
                .withOutputTags(PrepareTags.KEPT, TupleTagList.of(PrepareTags.DROPPED)));
    out.get(PrepareTags.KEPT).setCoder(AvroCoder.specific(SentencePair.class));
    out.get(PrepareTags.DROPPED).setCoder(StringUtf8Coder.of());
    return out;
  }
}
