package io.hatflow.transforms.prepare;

import io.hatflow.core.text.Vocabulary;
import io.hatflow.model.text.VocabularyFiles;
import java.util.Map;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Learns the BPE vocabulary from the combined word counts ({@link CountWords}): one element,
 * computed once on one worker (the learner is sequential; the counting before it is distributed).
 * Emits the vocabulary's files, the form {@link EncodePairs} and {@link WriteVocabulary} take.
 */
public final class LearnBpe
    extends PTransform<PCollection<Map<String, Long>>, PCollection<VocabularyFiles>> {
  private final int vocabSize;

  private LearnBpe(int vocabSize) {
    this.vocabSize = vocabSize;
  }

  public static LearnBpe of(int vocabSize) {
    return new LearnBpe(vocabSize);
  }

  @Override
  public PCollection<VocabularyFiles> expand(PCollection<Map<String, Long>> counts) {
    int size = vocabSize;
    return counts
        .apply(
            "Learn",
            ParDo.of(
                new DoFn<Map<String, Long>, VocabularyFiles>() {
                  @ProcessElement
                  public void process(
                      @Element Map<String, Long> c, OutputReceiver<VocabularyFiles> out) {
                    out.output(VocabularyFiles.of(Vocabulary.learn(c, size)));
                  }
                }))
        .setCoder(SerializableCoder.of(VocabularyFiles.class));
  }
}
