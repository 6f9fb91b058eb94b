package io.hatflow.model.predictor;

import java.util.List;

/**
 * What a saved predictor is for, recorded beside it so that a search can refuse a predictor of
 * another space or target.
 *
 * @param space the search-space name the latency data covers (e.g. {@code hat-wmt-space0})
 * @param target the hardware target's name (e.g. {@code cpu_xeon})
 * @param dataset the latency dataset the predictor was fitted on (path as given)
 * @param datasetSha256 its digest, or "" when unknown
 * @param transfer how it was fitted by transfer from other devices' latency sets, or null for a
 *     plain fit
 */
public record PredictorMeta(
    String space, String target, String dataset, String datasetSha256, Transfer transfer) {
  public PredictorMeta {
    if (space == null || space.isBlank()) {
      throw new IllegalArgumentException("predictor metadata needs the search space's name");
    }
    target = target == null ? "" : target;
    dataset = dataset == null ? "" : dataset;
    datasetSha256 = datasetSha256 == null ? "" : datasetSha256;
  }

  public PredictorMeta(String space, String target, String dataset, String datasetSha256) {
    this(space, target, dataset, datasetSha256, null);
  }

  public PredictorMeta withTransfer(Transfer t) {
    return new PredictorMeta(space, target, dataset, datasetSha256, t);
  }

  /**
   * A transfer fit: the source latency sets by content digest (never by path, so a moved file is
   * the same source) and how many rows of the new device it used.
   */
  public record Transfer(List<String> sourceSha256, int rows) {
    public Transfer {
      sourceSha256 = List.copyOf(sourceSha256);
    }
  }
}
