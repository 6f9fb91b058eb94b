package io.hatflow.model.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.transformer.Dropouts;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The per-step SubTransformer samples and per-epoch batch orders must vary from one index to the
 * next.
 */
class SamplingTest {
  @Test
  void consecutiveStepsSampleEveryGeneValue() {
    SearchSpace tiny = SearchSpace.preset("tiny");
    TrainConfig cfg =
        TrainConfig.builder()
            .steps(300)
            .maxTokens(2048)
            .lr(1e-3)
            .warmupSteps(10)
            .schedule(TrainConfig.Schedule.INVERSE_SQRT)
            .minLr(1e-7)
            .beta1(0.9)
            .beta2(0.98)
            .labelSmoothing(0.1)
            .clipNorm(0)
            .gradAccum(1)
            .dropouts(Dropouts.DEFAULT)
            .seed(1)
            .checkpointEvery(100)
            .sandwichEvery(0)
            .threads(1)
            .logEvery(10)
            .build();
    int enc96 = 0;
    int dec96 = 0;
    int dec1 = 0;
    int n = 300;
    for (int s = 0; s < n; s++) {
      SubConfig c = Trainer.sampleConfig(cfg, tiny, s);
      enc96 += c.encoderEmbedDim() == 96 ? 1 : 0;
      dec96 += c.decoderEmbedDim() == 96 ? 1 : 0;
      dec1 += c.decoderLayerNum() == 1 ? 1 : 0;
    }
    // uniform choices: 1/2, 1/2, 1/3 of the steps (binomial sd ~ 9 steps)
    assertTrue(enc96 > 110 && enc96 < 190, "encoder embed 96 in " + enc96 + " of " + n + " steps");
    assertTrue(dec96 > 110 && dec96 < 190, "decoder embed 96 in " + dec96 + " of " + n + " steps");
    assertTrue(dec1 > 65 && dec1 < 135, "1 decoder layer in " + dec1 + " of " + n + " steps");
  }

  @Test
  void epochsVisitBatchesInDifferentOrders() {
    Set<Integer> firsts = new HashSet<>();
    for (int e = 0; e < 20; e++) {
      firsts.add(Corpus.epochOrder(30, 1, e)[0]);
    }
    assertTrue(
        firsts.size() >= 10, "first batch of 20 epochs took only " + firsts.size() + " values");
  }
}
