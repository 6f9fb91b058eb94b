package io.hatflow.transforms.prepare;

import io.hatflow.core.text.Vocabulary;
import io.hatflow.schemas.SentencePair;
import java.util.AbstractList;
import java.util.List;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * Encodes both sides with the vocabulary (a singleton side input). The vocabulary caches word → ids, so repeated
 * words cost a hash lookup.
 */
public final class EncodePairs extends PTransform<PCollection<SentencePair>, PCollection<SentencePair>> {
  private final PCollectionView<Vocabulary> vocab;

  private EncodePairs(PCollectionView<Vocabulary> vocab) {
    this.vocab = vocab;
  }

  public static EncodePairs with(PCollectionView<Vocabulary> vocab) {
    return new EncodePairs(vocab);
  }

  public static SentencePair encode(SentencePair p, Vocabulary v) {
    int[] s = v.encode(p.getSrc());
    int[] t = v.encode(p.getTgt());
    return SentencePair.newBuilder(p).setSrcIds(asList(s)).setTgtIds(asList(t)).setSrcLen(s.length)
        .setTgtLen(t.length).build();
  }

  static List<Integer> asList(int[] a) {
    return new AbstractList<>() {
      @Override
      public Integer get(int i) {
        return a[i];
      }

      @Override
      public int size() {
        return a.length;
      }
    };
  }

  @Override
  public PCollection<SentencePair> expand(PCollection<SentencePair> input) {
    PCollectionView<Vocabulary> view = vocab;
    return input.apply("Encode", ParDo.of(new DoFn<SentencePair, SentencePair>() {
      @ProcessElement
      public void process(ProcessContext c) {
        c.output(encode(c.element(), c.sideInput(view)));
      }
    }).withSideInputs(view)).setCoder(AvroCoder.of(SentencePair.class));
  }
}
