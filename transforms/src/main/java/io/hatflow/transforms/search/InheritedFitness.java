package io.hatflow.transforms.search;

import io.hatflow.core.search.Fitness;
import io.hatflow.core.search.FitnessFactory;
import io.hatflow.model.eval.FitnessEvaluator;
import io.hatflow.model.train.Batch;
import io.hatflow.model.train.Corpus;
import io.hatflow.model.train.SuperTransformerCheckpoint;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * HAT's search fitness: validation loss of a SubTransformer with weights inherited from the SuperTransformer,
 * on a fixed validation subset (the first {@code subset} pairs by id) in a fixed batch order, with a fixed
 * intra-op thread count, so the value does not depend on the runner, the slot or the element order.
 *
 * <p>The checkpoint and the batches are loaded once per worker JVM and shared by its DoFn instances (forward
 * passes only read the weights); each {@link #open()} gets its own evaluator.
 */
public record InheritedFitness(String checkpoint, String shardsDir, int subset, int maxTokens, int threads)
    implements FitnessFactory {

  private static final Map<String, SuperTransformerCheckpoint> MODELS = new ConcurrentHashMap<>();
  private static final Map<String, List<Batch>> BATCHES = new ConcurrentHashMap<>();

  @Override
  public Fitness open() {
    SuperTransformerCheckpoint ck = MODELS.computeIfAbsent(checkpoint, p -> SuperTransformerCheckpoint.load(Path.of(p)));
    List<Batch> batches = BATCHES.computeIfAbsent(shardsDir + "|" + subset + "|" + maxTokens,
        k -> Corpus.batches(Corpus.subset(Corpus.read(Path.of(shardsDir), "valid"), subset), maxTokens));
    if (batches.isEmpty()) {
      throw new IllegalArgumentException(shardsDir + ": no validation pairs for the search's fitness");
    }
    FitnessEvaluator ev = new FitnessEvaluator(ck.model(), threads, 0.1);
    return config -> ev.validLoss(config, batches);
  }
}
