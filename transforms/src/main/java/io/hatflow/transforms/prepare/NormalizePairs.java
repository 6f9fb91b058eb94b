package io.hatflow.transforms.prepare;

import io.hatflow.core.text.Normalizer;
import io.hatflow.schemas.SentencePair;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Normalises both sides ({@link Normalizer}) and sets the stable pair id ({@link
 * PairRules#pairId}).
 */
public final class NormalizePairs
    extends PTransform<PCollection<SentencePair>, PCollection<SentencePair>> {
  public static NormalizePairs create() {
    return new NormalizePairs();
  }

  public static SentencePair normalize(SentencePair raw) {
    String src = Normalizer.normalize(raw.getSrc());
    String tgt = Normalizer.normalize(raw.getTgt());
    return SentencePair.newBuilder(raw)
        .setSrc(src)
        .setTgt(tgt)
        .setId(PairRules.pairId(src, tgt))
        .build();
  }

  @Override
  public PCollection<SentencePair> expand(PCollection<SentencePair> input) {
    return input
        .apply(
            "Normalize",
            ParDo.of(
                new DoFn<SentencePair, SentencePair>() {
                  @ProcessElement
                  public void process(@Element SentencePair p, OutputReceiver<SentencePair> out) {
                    out.output(normalize(p));
                  }
                }))
        .setCoder(AvroCoder.specific(SentencePair.class));
  }
}
