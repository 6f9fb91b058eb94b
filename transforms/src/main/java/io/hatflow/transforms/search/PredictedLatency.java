package io.hatflow.transforms.search;

import io.hatflow.core.search.LatencyModel;
import io.hatflow.core.search.LatencyModelFactory;
import io.hatflow.core.space.Features;
import io.hatflow.model.predictor.LatencyPredictor;
import io.hatflow.model.predictor.PredictorIO;
import io.hatflow.transforms.io.Artifacts;

/**
 * A target's latency as its fitted predictor says (HAT's 10 features of the config). Workers open
 * the predictor folder by URI through {@link Artifacts}, digest-checked, once per worker JVM.
 */
public record PredictedLatency(Artifacts.Ref predictor, String space)
    implements LatencyModelFactory {
  @Override
  public String identity() {
    return predictor.sha256();
  }

  @Override
  public LatencyModel open() {
    LatencyPredictor p = PredictorIO.load(Artifacts.local(predictor), space).predictor();
    return c -> p.predictMs(Features.of(c));
  }
}
