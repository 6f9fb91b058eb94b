package io.hatflow.core.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.spec.FrozenSpec;
import io.hatflow.core.spec.SpecOverride;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * The run's lineage, {@code manifest.json}: the spec's digests and overrides, code version ({@code git describe})
 * and code digest ({@link CodeDigest}), runner and
 * options, seed, and per stage its fingerprint, inputs and outputs with SHA-256, counts and timings.
 * Every save replaces the file atomically.
 */
public final class Manifest {
  public static final String FILE = "manifest.json";
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path file;
  private final ObjectNode root;
  private Runnable afterSave = () -> {};

  private Manifest(Path file, ObjectNode root) {
    this.file = file;
    this.root = root;
  }

  public static Manifest load(Path runDir) {
    Path f = runDir.resolve(FILE);
    if (!Files.exists(f)) {
      ObjectNode r = JSON.createObjectNode();
      r.put("hatflow_manifest", 1);
      r.putObject("stages");
      return new Manifest(f, r);
    }
    try {
      JsonNode n = JSON.readTree(f.toFile());
      if (!(n instanceof ObjectNode o) || !o.has("hatflow_manifest")) {
        throw new UserInputException(f + ": not a hatflow manifest");
      }
      if (!o.has("stages")) {
        o.putObject("stages");
      }
      return new Manifest(f, o);
    } catch (IOException e) {
      throw new UserInputException(f + ": unreadable manifest: " + e.getMessage(), e);
    }
  }

  public ObjectNode root() {
    return root;
  }

  /** The effective spec digest recorded, or null for a new run directory. */
  public String effectiveSpecDigest() {
    JsonNode s = root.path("spec").path("effective_sha256");
    return s.isTextual() ? s.asText() : null;
  }

  public void recordSpec(FrozenSpec spec, String codeVersion, String runner, Map<String, String> options) {
    ObjectNode s = root.putObject("spec");
    s.put("file", "spec.yaml");
    s.put("source_name", spec.fileName());
    s.put("sha256", spec.fileSha256());
    s.put("effective_sha256", spec.effectiveSha256());
    ArrayNode o = root.putArray("overrides");
    for (SpecOverride ov : spec.overrides()) {
      o.addObject().put("key", ov.key()).put("value", ov.value());
    }
    root.put("name", spec.spec().name());
    root.put("seed", spec.spec().seed());
    root.put("code_version", codeVersion);
    // What stage fingerprints use: the digest of the compiled hatflow code (git describe is for people).
    root.put("code_digest", CodeDigest.current());
    root.put("runner", runner);
    ObjectNode opts = root.putObject("options");
    options.forEach(opts::put);
    root.put("host", Host.name());
    // Keep the per-stage record last: people read the run's identity first.
    root.set("stages", root.remove("stages"));
  }

  public ObjectNode stages() {
    return (ObjectNode) root.get("stages");
  }

  /** A stage's entry, created empty when absent. */
  public ObjectNode stage(String name) {
    JsonNode n = stages().get(name);
    return n instanceof ObjectNode o ? o : stages().putObject(name);
  }

  public boolean stageDone(String name) {
    String st = stages().path(name).path("status").asText("");
    return st.equals("done") || st.equals("cached");
  }

  public void stageStarted(String name, String fingerprint) {
    ObjectNode s = stages().putObject(name);
    s.put("status", "running");
    if (fingerprint != null) {
      s.put("fingerprint", fingerprint);
    }
    s.put("started", Instant.now().toString());
    save();
  }

  public void stageFinished(String name, long millis) {
    ObjectNode s = stage(name);
    s.put("status", "done");
    s.put("finished", Instant.now().toString());
    s.put("seconds", millis / 1000.0);
    save();
  }

  public void stageFailed(String name, String error) {
    ObjectNode s = stage(name);
    s.put("status", "failed");
    s.put("error", error == null ? "" : error);
    s.put("finished", Instant.now().toString());
    save();
  }

  /** Records an artifact with its digest (a file, or a directory tree), under "inputs" or "outputs". */
  public static void addArtifact(ObjectNode stage, String kind, String name, Path path, Path runDir) {
    ObjectNode a = (stage.has(kind) ? (ObjectNode) stage.get(kind) : stage.putObject(kind)).putObject(name);
    Path shown = runDir != null && path.toAbsolutePath().startsWith(runDir.toAbsolutePath())
        ? runDir.toAbsolutePath().relativize(path.toAbsolutePath()) : path.toAbsolutePath();
    a.put("path", shown.toString());
    a.put("sha256", Digests.sha256Tree(path));
    a.put("bytes", size(path));
    if (Files.isDirectory(path)) {
      // per file too, so a consumer that finds the folder changed can name the file (a truncated shard)
      ObjectNode files = a.putObject("files");
      for (Path f : Digests.files(path)) {
        files.put(path.relativize(f).toString().replace('\\', '/'), Digests.sha256(f));
      }
    }
  }

  /**
   * What differs between a recorded folder artifact and the folder {@code dir} now: the first changed, missing
   * or added file relative to the run directory, or null when its per-file digests were not recorded.
   */
  public static String firstDifference(JsonNode artifact, Path dir) {
    JsonNode files = artifact.path("files");
    if (!files.isObject() || !Files.isDirectory(dir)) {
      return null;
    }
    String base = artifact.path("path").asText();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Path f : Digests.files(dir)) {
      String rel = dir.relativize(f).toString().replace('\\', '/');
      seen.add(rel);
      if (!files.has(rel)) {
        return base + "/" + rel + " (not recorded: added afterwards)";
      }
      if (!files.path(rel).asText().equals(Digests.sha256(f))) {
        return base + "/" + rel;
      }
    }
    for (java.util.Iterator<String> it = files.fieldNames(); it.hasNext(); ) {
      String rel = it.next();
      if (!seen.contains(rel)) {
        return base + "/" + rel + " (missing)";
      }
    }
    return null;
  }

  /** Records a non-local input (e.g. {@code gs://}) by name only, when it cannot be digested here. */
  public static void addRemoteArtifact(ObjectNode stage, String kind, String name, String uri, String sha256) {
    ObjectNode a = (stage.has(kind) ? (ObjectNode) stage.get(kind) : stage.putObject(kind)).putObject(name);
    a.put("path", uri);
    if (sha256 != null) {
      a.put("sha256", sha256);
    }
  }

  private static long size(Path p) {
    long total = 0;
    for (Path f : Files.isDirectory(p) ? Digests.files(p) : java.util.List.of(p)) {
      try {
        total += Files.size(f);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return total;
  }

  public void save() {
    try {
      AtomicFiles.write(file, JSON.writeValueAsBytes(root));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    afterSave.run();
  }

  /** Runs after every save: a run directory with a remote home commits the manifest there. */
  void afterSave(Runnable r) {
    afterSave = r;
  }

  public static ObjectMapper json() {
    return JSON;
  }
}
