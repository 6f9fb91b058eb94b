package io.hatflow.transforms.prepare;

import io.hatflow.core.text.PreTokenizer;
import io.hatflow.schemas.SentencePair;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;

/**
 * Counts the pre-tokenised words of both sides (a joint vocabulary) with a distributed combine:
 * each worker counts its pairs into a map, the maps are merged. One output element: the whole count
 * map (word types number in the hundreds of thousands at most, so it fits one worker, which the
 * learner needs anyway).
 */
public final class CountWords
    extends PTransform<PCollection<SentencePair>, PCollection<Map<String, Long>>> {
  public static CountWords create() {
    return new CountWords();
  }

  static final class CountFn
      extends Combine.CombineFn<SentencePair, Map<String, Long>, Map<String, Long>> {
    @Override
    public Map<String, Long> createAccumulator() {
      return new HashMap<>();
    }

    @Override
    public Map<String, Long> addInput(Map<String, Long> acc, SentencePair p) {
      for (String w : PreTokenizer.tokenize(p.getSrc())) {
        acc.merge(w, 1L, Long::sum);
      }
      for (String w : PreTokenizer.tokenize(p.getTgt())) {
        acc.merge(w, 1L, Long::sum);
      }
      return acc;
    }

    @Override
    public Map<String, Long> mergeAccumulators(Iterable<Map<String, Long>> accs) {
      Map<String, Long> out = null;
      for (Map<String, Long> a : accs) {
        if (out == null) {
          out = a;
        } else {
          for (Map.Entry<String, Long> e : a.entrySet()) {
            out.merge(e.getKey(), e.getValue(), Long::sum);
          }
        }
      }
      return out == null ? new HashMap<>() : out;
    }

    @Override
    public Map<String, Long> extractOutput(Map<String, Long> acc) {
      return acc;
    }

    @Override
    public Coder<Map<String, Long>> getAccumulatorCoder(CoderRegistry r, Coder<SentencePair> in) {
      return MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    }

    @Override
    public Coder<Map<String, Long>> getDefaultOutputCoder(CoderRegistry r, Coder<SentencePair> in) {
      return MapCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    }
  }

  @Override
  public PCollection<Map<String, Long>> expand(PCollection<SentencePair> pairs) {
    return pairs.apply("CountCombine", Combine.globally(new CountFn()));
  }
}
