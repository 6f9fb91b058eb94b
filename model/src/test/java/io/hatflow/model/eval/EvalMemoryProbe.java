package io.hatflow.model.eval;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.model.train.Batch;
import io.hatflow.model.train.Corpus;
import io.hatflow.model.train.Shards;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Run in a small-heap JVM by {@link FitnessEvaluatorTest}: evaluates {@code warmup + n} random tiny
 * configs and prints "arrays RSS_KB" after the warm-up and at the end (RSS of a small heap is flat
 * once the heap is touched, so growth is native memory).
 */
public final class EvalMemoryProbe {
  public static void main(String[] args) throws Exception {
    int warmup = Integer.parseInt(args[0]);
    int n = Integer.parseInt(args[1]);
    Path tmp = Files.createTempDirectory("probe");
    Shards.write(tmp, "valid", 1, 40, 30, 9);
    List<Batch> bs = Corpus.batches(Corpus.read(tmp, "valid"), 100).subList(0, 1);
    SearchSpace tiny = SearchSpace.preset("tiny");
    try (NDManager m = NDManager.newBaseManager();
        SuperTransformer model =
            SuperTransformer.create(m, tiny.largest(), tiny.qkvDim(), 30, Dropouts.DEFAULT, 1)) {
      FitnessEvaluator ev = new FitnessEvaluator(model, 1, 0.1);
      Random r = new Random(1);
      for (int i = 0; i < warmup; i++) {
        ev.validLoss(tiny.sample(r), bs);
      }
      System.out.println(
          "PROBE "
              + ((BaseNDManager) model.manager()).getManagedArrays().size()
              + " "
              + FitnessEvaluatorTest.rssKb());
      for (int i = 0; i < n; i++) {
        ev.validLoss(tiny.sample(r), bs);
      }
      System.out.println(
          "PROBE "
              + ((BaseNDManager) model.manager()).getManagedArrays().size()
              + " "
              + FitnessEvaluatorTest.rssKb());
    }
  }
}
