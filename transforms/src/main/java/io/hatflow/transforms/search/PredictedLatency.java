package io.hatflow.transforms.search;

import io.hatflow.core.search.LatencyModel;
import io.hatflow.core.search.LatencyModelFactory;
import io.hatflow.core.space.Features;
import io.hatflow.model.predictor.LatencyPredictor;
import io.hatflow.model.predictor.PredictorIO;
import java.nio.file.Path;

/** A target's latency as its fitted predictor says (HAT's 10 features of the config), loaded once per worker. */
public record PredictedLatency(String predictorDir, String space, String digest) implements LatencyModelFactory {
  public PredictedLatency(String predictorDir, String space) {
    this(predictorDir, space, io.hatflow.core.run.Digests.sha256Tree(Path.of(predictorDir)));
  }

  @Override
  public String identity() {
    return digest;
  }

  @Override
  public LatencyModel open() {
    LatencyPredictor p = PredictorIO.load(Path.of(predictorDir), space).predictor();
    return c -> p.predictMs(Features.of(c));
  }
}
