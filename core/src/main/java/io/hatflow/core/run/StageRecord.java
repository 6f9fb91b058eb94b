package io.hatflow.core.run;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stage's entry in {@code manifest.json}. Field names are the file's ({@code snake_case}); what
 * one stage alone records is named here too ({@code budgets_ms} of the search, {@code training} of
 * finalize), so a reader never guesses a key. {@code counts} stays a JSON object: each stage counts
 * different things (rows, steps, models), and the report shows them as recorded. Maps keep their
 * order: a stage's outputs digest, in that order, into its consumers' fingerprints.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StageRecord(
    String status,
    String fingerprint,
    String started,
    String codeDigest,
    String fromRun,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Artifact> inputs,
    ObjectNode training,
    ObjectNode counts,
    Map<String, List<Double>> budgetsMs,
    JsonNode hypervolume,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, Artifact> outputs,
    String error,
    String staleBecause,
    String finished,
    Double seconds) {

  public static final String RUNNING = "running";
  public static final String DONE = "done";
  public static final String CACHED = "cached";
  public static final String FAILED = "failed";
  public static final String STALE = "stale";

  public static final StageRecord NONE =
      new StageRecord(
          null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);

  public StageRecord {
    inputs =
        inputs == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    outputs =
        outputs == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
  }

  /** Finished (ran now, or cached from an earlier run): its outputs may be consumed. */
  @JsonIgnore
  public boolean done() {
    return DONE.equals(status) || CACHED.equals(status);
  }

  /** The status, "" when the stage has no entry. */
  @JsonIgnore
  public String statusOrEmpty() {
    return status == null ? "" : status;
  }

  public StageRecord withStatus(String s) {
    return new StageRecord(
        s,
        fingerprint,
        started,
        codeDigest,
        fromRun,
        inputs,
        training,
        counts,
        budgetsMs,
        hypervolume,
        outputs,
        error,
        staleBecause,
        finished,
        seconds);
  }

  public StageRecord stale(String because) {
    return new StageRecord(
        STALE,
        fingerprint,
        started,
        codeDigest,
        fromRun,
        inputs,
        training,
        counts,
        budgetsMs,
        hypervolume,
        outputs,
        error,
        because,
        finished,
        seconds);
  }

  /** A stage that ran ({@code error} null) or failed, with what it recorded while running. */
  public StageRecord ended(Recorded r, String error, String finished, Double seconds) {
    Map<String, Artifact> in = new LinkedHashMap<>(inputs);
    in.putAll(r.inputs());
    return new StageRecord(
        error == null ? DONE : FAILED,
        fingerprint,
        started,
        codeDigest,
        r.fromRun(),
        in,
        r.training(),
        r.counts(),
        r.budgetsMs().isEmpty() ? null : r.budgetsMs(),
        r.hypervolume(),
        r.outputs(),
        error,
        null,
        finished,
        seconds);
  }

  /**
   * What a stage records while it runs (its own inputs, outputs, counts and notes), merged in when
   * it ends.
   */
  public record Recorded(
      Map<String, Artifact> inputs,
      Map<String, Artifact> outputs,
      ObjectNode counts,
      ObjectNode training,
      Map<String, List<Double>> budgetsMs,
      JsonNode hypervolume,
      String fromRun) {
    /** Outputs only (a test's stand-in for a stage). */
    public static Recorded outputs(Map<String, Artifact> outputs) {
      return new Recorded(Map.of(), outputs, null, null, Map.of(), null, null);
    }
  }
}
