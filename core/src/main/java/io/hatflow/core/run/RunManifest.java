package io.hatflow.core.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} as one value: the run's identity (spec digests and overrides, code, runner
 * and options, seed, host) and an entry per stage. The stage runner, audit and report read and
 * write this record; unknown fields of another version are ignored on read.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunManifest(
    Integer hatflowManifest,
    SpecRef spec,
    List<Override> overrides,
    String name,
    Long seed,
    String codeVersion,
    String codeDigest,
    String runner,
    Map<String, String> options,
    String host,
    Map<String, StageRecord> stages,
    Boolean finished) {

  public static final int VERSION = 1;

  public RunManifest {
    stages =
        stages == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(stages));
    overrides = overrides == null ? null : List.copyOf(overrides);
  }

  static RunManifest empty() {
    return new RunManifest(
        VERSION, null, null, null, null, null, null, null, null, null, Map.of(), null);
  }

  /**
   * The spec as recorded: the file's name in the run directory, the name it was given, and both
   * digests.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SpecRef(String file, String sourceName, String sha256, String effectiveSha256) {}

  /** One {@code --set key=value}. */
  public record Override(String key, String value) {}

  /** The stage's entry, {@link StageRecord#NONE} when it has none. */
  public StageRecord stage(String name) {
    return stages.getOrDefault(name, StageRecord.NONE);
  }

  public boolean runFinished() {
    return Boolean.TRUE.equals(finished);
  }

  RunManifest withStage(String name, StageRecord s) {
    Map<String, StageRecord> m = new LinkedHashMap<>(stages);
    m.put(name, s);
    return new RunManifest(
        hatflowManifest,
        spec,
        overrides,
        this.name,
        seed,
        codeVersion,
        codeDigest,
        runner,
        options,
        host,
        m,
        finished);
  }

  RunManifest withFinished(boolean f) {
    return new RunManifest(
        hatflowManifest,
        spec,
        overrides,
        name,
        seed,
        codeVersion,
        codeDigest,
        runner,
        options,
        host,
        stages,
        f);
  }

  RunManifest withRun(
      SpecRef s,
      List<Override> o,
      String n,
      long sd,
      String version,
      String digest,
      String r,
      Map<String, String> opts,
      String h) {
    return new RunManifest(
        hatflowManifest, s, o, n, sd, version, digest, r, opts, h, stages, finished);
  }
}
