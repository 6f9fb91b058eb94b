package io.hatflow.transforms.prepare;

import io.hatflow.core.text.Vocabulary;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * Learns the BPE vocabulary from the combined word counts: one element, computed once on one worker from the
 * counts as a side input (the learner is sequential; the counting before it is distributed).
 */
public final class LearnBpe extends PTransform<PCollection<KV<String, Long>>, PCollection<Vocabulary>> {
  private final int vocabSize;

  private LearnBpe(int vocabSize) {
    this.vocabSize = vocabSize;
  }

  public static LearnBpe of(int vocabSize) {
    return new LearnBpe(vocabSize);
  }

  @Override
  public PCollection<Vocabulary> expand(PCollection<KV<String, Long>> counts) {
    PCollectionView<Map<String, Long>> view = counts.apply("AsMap", View.asMap());
    int size = vocabSize;
    return counts.getPipeline()
        .apply("Once", Create.of(size))
        .apply("Learn", ParDo.of(new DoFn<Integer, Vocabulary>() {
          @ProcessElement
          public void process(ProcessContext c) {
            Map<String, Long> m = new HashMap<>(c.sideInput(view));
            c.output(Vocabulary.learn(m, c.element()));
          }
        }).withSideInputs(view))
        .setCoder(SerializableCoder.of(Vocabulary.class));
  }
}
