package io.hatflow.transforms.prepare;

import io.hatflow.core.text.PreTokenizer;
import io.hatflow.schemas.SentencePair;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/** Counts the pre-tokenised words of both sides (a joint vocabulary) with a distributed combine. */
public final class CountWords extends PTransform<PCollection<SentencePair>, PCollection<KV<String, Long>>> {
  public static CountWords create() {
    return new CountWords();
  }

  @Override
  public PCollection<KV<String, Long>> expand(PCollection<SentencePair> pairs) {
    return pairs
        .apply("Words", ParDo.of(new DoFn<SentencePair, String>() {
          @ProcessElement
          public void process(@Element SentencePair p, OutputReceiver<String> out) {
            PreTokenizer.tokenize(p.getSrc()).forEach(out::output);
            PreTokenizer.tokenize(p.getTgt()).forEach(out::output);
          }
        })).setCoder(StringUtf8Coder.of())
        .apply("Count", Count.perElement());
  }
}
