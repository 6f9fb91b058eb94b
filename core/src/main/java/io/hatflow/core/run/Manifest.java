package io.hatflow.core.run;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.hatflow.core.spec.FrozenSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The run's lineage file, {@code manifest.json}, bound to {@link RunManifest}: the spec's digests
 * and overrides, code version ({@code git describe}) and code digest ({@link CodeDigest}), runner
 * and options, seed, and per stage its {@link StageRecord} (fingerprint, inputs and outputs with
 * SHA-256, counts and timings). Every save replaces the file atomically.
 */
public final class Manifest {
  public static final String FILE = "manifest.json";
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The typed binding: the file's snake_case names onto the records' components. */
  private static final ObjectMapper BOUND =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Path file;
  private RunManifest value;
  private Runnable afterSave = () -> {};

  private Manifest(Path file, RunManifest value) {
    this.file = file;
    this.value = value;
  }

  public static Manifest load(Path runDir) {
    Path f = runDir.resolve(FILE);
    if (!Files.exists(f)) {
      return new Manifest(f, RunManifest.empty());
    }
    try {
      return new Manifest(f, parse(Files.readAllBytes(f), f.toString()));
    } catch (IOException e) {
      throw new UserInputException(f + ": unreadable manifest: " + e.getMessage(), e);
    }
  }

  /** A manifest's bytes as the record; {@code where} names the file in the error. */
  public static RunManifest parse(byte[] bytes, String where) {
    try {
      JsonNode n = JSON.readTree(bytes);
      if (n == null || !n.isObject() || !n.has("hatflow_manifest")) {
        throw new UserInputException(where + ": not a hatflow manifest");
      }
      return BOUND.treeToValue(n, RunManifest.class);
    } catch (IOException e) {
      throw new UserInputException(where + ": unreadable manifest: " + e.getMessage(), e);
    }
  }

  /** The manifest as recorded now. */
  public RunManifest value() {
    return value;
  }

  /** The manifest as a JSON tree, as the file holds it (for printing and for tests). */
  public JsonNode tree() {
    return BOUND.valueToTree(value);
  }

  /** The effective spec digest recorded, or null for a new run directory. */
  public String effectiveSpecDigest() {
    return value.spec() == null ? null : value.spec().effectiveSha256();
  }

  public void recordSpec(
      FrozenSpec spec, String codeVersion, String runner, Map<String, String> options) {
    // What stage fingerprints use is the digest of the compiled hatflow code; git describe is for
    // people.
    value =
        value.withRun(
            new RunManifest.SpecRef(
                RunDir.SPEC_FILE, spec.fileName(), spec.fileSha256(), spec.effectiveSha256()),
            spec.overrides().stream()
                .map(o -> new RunManifest.Override(o.key(), o.value()))
                .toList(),
            spec.spec().name(),
            spec.spec().seed(),
            codeVersion,
            CodeDigest.current(),
            runner,
            new java.util.LinkedHashMap<>(options),
            Host.name());
  }

  /**
   * Whether the run finished (every stage done); a changed spec or stage makes it unfinished again.
   */
  public void finished(boolean f) {
    value = value.withFinished(f);
  }

  public Map<String, StageRecord> stages() {
    return value.stages();
  }

  /** A stage's entry, {@link StageRecord#NONE} when absent. */
  public StageRecord stage(String name) {
    return value.stage(name);
  }

  public boolean stageDone(String name) {
    return stage(name).done();
  }

  /** Replaces a stage's entry by {@code f} of it (not saved). */
  public void update(String name, UnaryOperator<StageRecord> f) {
    value = value.withStage(name, f.apply(stage(name)));
  }

  /**
   * A new entry for a stage starting: running, with its fingerprint, code and the upstream outputs
   * it consumes.
   */
  public void stageStarted(
      String name, String fingerprint, String codeDigest, Map<String, Artifact> inputs) {
    value =
        value.withStage(
            name,
            new StageRecord(
                StageRecord.RUNNING,
                fingerprint,
                Instant.now().toString(),
                codeDigest,
                null,
                inputs,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null));
    save();
  }

  public void stageStarted(String name, String fingerprint) {
    stageStarted(name, fingerprint, null, null);
  }

  public void stageFinished(String name, long millis, StageRecord.Recorded r) {
    update(name, s -> s.ended(r, null, Instant.now().toString(), millis / 1000.0));
    save();
  }

  public void stageFailed(String name, String error, StageRecord.Recorded r) {
    update(
        name, s -> s.ended(r, error == null ? "" : error, Instant.now().toString(), s.seconds()));
    save();
  }

  public void save() {
    try {
      AtomicFiles.write(file, BOUND.writeValueAsBytes(value));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    afterSave.run();
  }

  /** Runs after every save: a run directory with a remote home commits the manifest there. */
  void afterSave(Runnable r) {
    afterSave = r;
  }

  /** A plain JSON mapper (indented), for the JSON other commands print. */
  public static ObjectMapper json() {
    return JSON;
  }

  /**
   * The mapper bound to the manifest's names, for a test that writes a manifest in a given form.
   */
  public static ObjectMapper bound() {
    return BOUND;
  }
}
