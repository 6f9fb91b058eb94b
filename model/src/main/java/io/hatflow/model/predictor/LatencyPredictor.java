package io.hatflow.model.predictor;

/**
 * Predicts a SubTransformer's latency (ms, encoder + decoder) from HAT's 10 features ({@code
 * Features.of}).
 */
public interface LatencyPredictor {
  double predictMs(double[] features);

  /** One prediction per row; implementations make this fast for the search's whole generations. */
  default double[] predictBatch(double[][] features) {
    double[] out = new double[features.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = predictMs(features[i]);
    }
    return out;
  }

  /** The model's name as given to {@code --model}. */
  String name();
}
