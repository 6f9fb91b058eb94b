package io.hatflow.transforms.prepare;

import io.hatflow.core.text.SubwordVocabulary;
import io.hatflow.model.text.VocabularyFiles;
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
 * Encodes both sides with the vocabulary (a singleton side input of its files: our BPE or a
 * SentencePiece model). Each DoFn instance opens the vocabulary once and keeps it (a SentencePiece
 * model is a native handle, not serialisable; our BPE caches word → ids, so repeated words cost a
 * hash lookup).
 */
public final class EncodePairs
    extends PTransform<PCollection<SentencePair>, PCollection<SentencePair>> {
  private final PCollectionView<VocabularyFiles> vocab;

  private EncodePairs(PCollectionView<VocabularyFiles> vocab) {
    this.vocab = vocab;
  }

  public static EncodePairs with(PCollectionView<VocabularyFiles> vocab) {
    return new EncodePairs(vocab);
  }

  public static SentencePair encode(SentencePair p, SubwordVocabulary v) {
    int[] s = v.encode(p.getSrc());
    int[] t = v.encode(p.getTgt());
    return SentencePair.newBuilder(p)
        .setSrcIds(asList(s))
        .setTgtIds(asList(t))
        .setSrcLen(s.length)
        .setTgtLen(t.length)
        .build();
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
    return input
        .apply("Encode", ParDo.of(new EncodeFn(vocab)).withSideInputs(vocab))
        .setCoder(AvroCoder.specific(SentencePair.class));
  }

  private static final class EncodeFn extends DoFn<SentencePair, SentencePair> {
    private final PCollectionView<VocabularyFiles> view;
    private transient VocabularyFiles files;
    private transient SubwordVocabulary open;

    EncodeFn(PCollectionView<VocabularyFiles> view) {
      this.view = view;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      VocabularyFiles f = c.sideInput(view);
      if (f != files && !f.equals(files)) {
        teardown();
        open = f.open();
        files = f;
      }
      c.output(encode(c.element(), open));
    }

    @Teardown
    public void teardown() {
      if (open != null) {
        open.close();
        open = null;
        files = null;
      }
    }
  }
}
