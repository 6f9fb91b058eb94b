package io.hatflow.model.predictor;

/**
 * What a saved predictor is for, recorded beside it so that a search can refuse a predictor of another space
 * or target.
 *
 * @param space the search-space name the latency data covers (e.g. {@code hat-wmt-space0})
 * @param target the hardware target's name (e.g. {@code cpu_xeon})
 * @param dataset the latency dataset the predictor was fitted on (path as given)
 * @param datasetSha256 its digest, or "" when unknown
 */
public record PredictorMeta(String space, String target, String dataset, String datasetSha256) {
  public PredictorMeta {
    if (space == null || space.isBlank()) {
      throw new IllegalArgumentException("predictor metadata needs the search space's name");
    }
    target = target == null ? "" : target;
    dataset = dataset == null ? "" : dataset;
    datasetSha256 = datasetSha256 == null ? "" : datasetSha256;
  }
}
