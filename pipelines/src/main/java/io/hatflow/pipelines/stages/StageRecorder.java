package io.hatflow.pipelines.stages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.run.Artifact;
import io.hatflow.core.run.Manifest;
import io.hatflow.core.run.StageRecord;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a running stage records in its {@link StageRecord}: its own inputs and outputs (digested as
 * they are recorded), counts and notes. The runner merges it into the manifest when the stage ends,
 * done or failed.
 */
public final class StageRecorder {
  private final Path runDir;
  private final String fingerprint;
  private final Map<String, Artifact> inputs = new LinkedHashMap<>();
  private final Map<String, Artifact> outputs = new LinkedHashMap<>();
  private final Map<String, List<Double>> budgetsMs = new LinkedHashMap<>();
  private ObjectNode counts;
  private ObjectNode training;
  private JsonNode hypervolume;
  private String fromRun;

  StageRecorder(Path runDir, String fingerprint) {
    this.runDir = runDir;
    this.fingerprint = fingerprint;
  }

  /** The fingerprint the stage runs under (keys its resumable work). */
  public String fingerprint() {
    return fingerprint;
  }

  /** A local input file or folder, digested now. */
  public void input(String name, Path path) {
    inputs.put(name, Artifact.of(path, runDir));
  }

  /**
   * An input as given (a remote one by URI, or a run-directory path with the digest it was checked
   * against).
   */
  public void input(String name, Artifact a) {
    inputs.put(name, a);
  }

  /** A local output file or folder, digested now: what consumers and audit check it against. */
  public void output(String name, Path path) {
    outputs.put(name, Artifact.of(path, runDir));
  }

  /** The stage's counts (created empty on first use). */
  public ObjectNode counts() {
    if (counts == null) {
      counts = Manifest.json().createObjectNode();
    }
    return counts;
  }

  /** Finalize's training settings as run. */
  public ObjectNode training() {
    if (training == null) {
      training = Manifest.json().createObjectNode();
    }
    return training;
  }

  /** A target's budgets as searched (relative ones resolved to ms). */
  public void budgetsMs(String target, List<Double> budgets) {
    budgetsMs.put(target, List.copyOf(budgets));
  }

  /** The search's hypervolume frame and final values. */
  public void hypervolume(JsonNode hv) {
    hypervolume = hv;
  }

  /** The run whose SuperTransformer train reused. */
  public void fromRun(String run) {
    fromRun = run;
  }

  StageRecord.Recorded recorded() {
    return new StageRecord.Recorded(
        inputs, outputs, counts, training, budgetsMs, hypervolume, fromRun);
  }
}
