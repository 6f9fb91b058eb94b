package io.hatflow.model.predictor;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A predictor that {@link PredictorIO} can save: small state as JSON params, large state as model
 * bytes.
 */
public interface FittedModel extends LatencyPredictor {
  /** Features the model derives from HAT's 10 inputs. */
  FeatureSet featureSet();

  /** Normalisation, coefficients, hyperparameters: everything but the bulk weights. */
  ObjectNode params();

  /** Bulk weights (may be empty). */
  byte[] modelBytes();
}
