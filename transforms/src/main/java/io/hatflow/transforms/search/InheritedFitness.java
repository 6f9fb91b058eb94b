package io.hatflow.transforms.search;

import io.hatflow.core.run.UserInputException;
import io.hatflow.core.search.Fitness;
import io.hatflow.core.search.FitnessFactory;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.eval.FitnessEvaluator;
import io.hatflow.model.train.Batch;
import io.hatflow.model.train.Corpus;
import io.hatflow.model.train.SuperTransformerCheckpoint;
import io.hatflow.transforms.io.Artifacts;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * HAT's search fitness: validation loss of a SubTransformer with weights inherited from the
 * SuperTransformer, on a fixed validation subset (the first {@code subset} pairs by id) in a fixed
 * batch order, with a fixed intra-op thread count, so the value does not depend on the runner, the
 * slot or the element order.
 *
 * <p>Workers open the checkpoint and the validation shards by URI ({@link Artifacts}:
 * digest-checked, copied once per worker JVM). The checkpoint and the batches are loaded once per
 * worker JVM and shared by its DoFn instances (forward passes only read the weights); each {@link
 * #open()} gets its own evaluator, and the checkpoint is closed when the last one is ({@link
 * Fitness#close()}, a DoFn's {@code @Teardown}).
 */
public record InheritedFitness(
    Artifacts.Ref checkpoint,
    List<Artifacts.Ref> validShards,
    int subset,
    int maxTokens,
    int threads,
    double labelSmoothing)
    implements FitnessFactory {

  /**
   * Checkpoints loaded in this JVM (this class loader), with the number of open evaluators using
   * each.
   */
  private static final Map<String, Shared> MODELS = new HashMap<>();

  private static final Map<String, List<Batch>> BATCHES = new ConcurrentHashMap<>();

  private static final class Shared {
    final SuperTransformerCheckpoint checkpoint;
    int users;

    Shared(SuperTransformerCheckpoint checkpoint) {
      this.checkpoint = checkpoint;
    }
  }

  @Override
  public Fitness open() {
    String key =
        validShards.stream().map(Artifacts.Ref::sha256).toList() + "|" + subset + "|" + maxTokens;
    List<Batch> batches =
        BATCHES.computeIfAbsent(
            key,
            k ->
                Corpus.batches(
                    Corpus.subset(
                        Corpus.read(validShards.stream().map(Artifacts::local).toList()), subset),
                    maxTokens));
    if (batches.isEmpty()) {
      throw new UserInputException(validShards + ": no validation pairs for the search's fitness");
    }
    String path = Artifacts.local(checkpoint).toString();
    SuperTransformerCheckpoint ck = acquire(path);
    FitnessEvaluator ev = new FitnessEvaluator(ck.model(), threads, labelSmoothing);
    return new Fitness() {
      private boolean closed;

      @Override
      public double validLoss(SubConfig config) {
        return ev.validLoss(config, batches);
      }

      @Override
      public void close() {
        if (!closed) {
          closed = true;
          ev.close();
          release(path);
        }
      }
    };
  }

  private static SuperTransformerCheckpoint acquire(String path) {
    synchronized (MODELS) {
      Shared s =
          MODELS.computeIfAbsent(
              path, p -> new Shared(SuperTransformerCheckpoint.load(Path.of(p))));
      s.users++;
      return s.checkpoint;
    }
  }

  /**
   * The last evaluator to close frees the checkpoint's native memory. This matters on a Flink
   * session cluster: every job (every search generation) gets a new class loader, hence a new copy
   * of this class, and a model kept in the old copy's static map would never be freed while the
   * TaskManager lives.
   */
  private static void release(String path) {
    synchronized (MODELS) {
      Shared s = MODELS.get(path);
      if (s != null && --s.users == 0) {
        MODELS.remove(path);
        s.checkpoint.close();
      }
    }
  }
}
