package io.hatflow.core.run;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks a run directory against its manifest: the spec, every stage's inputs and outputs, and the
 * code. The code comparison is by {@link CodeDigest} (what stage fingerprints use), so a run
 * audited with a build that differs only in docs or in {@code git describe} matches; manifests
 * written before the digest existed are compared by {@code code_version}. A code difference is a
 * note, not a failure: the artifacts are still what the manifest says, and {@code --rerun search}
 * shows whether this code finds the same winners.
 */
public final class Audit {
  private Audit() {}

  /** One checked artifact: {@code ok}, or what differs. */
  public record Finding(
      String stage,
      String kind,
      String name,
      String path,
      String expected,
      String actual,
      boolean ok) {
    public String line() {
      if (kind.equals(STATUS)) {
        return (actual.equals("stale") ? "STALE     " : "UNFINISHED ") + stage + ": " + name;
      }
      if (kind.equals(LINEAGE)) {
        return (ok ? "ok        " : "LINEAGE   ")
            + stage
            + " input "
            + name
            + " ("
            + path
            + "): "
            + (ok
                ? "is its producer's current output"
                : "used sha256 "
                    + abbrev(actual)
                    + ", but its producer now records "
                    + abbrev(expected)
                    + " (hatflow run makes "
                    + stage
                    + " again)");
      }
      String where = stage.isEmpty() ? name : stage + " " + kind + " " + name;
      if (ok) {
        return "ok        " + where + " (" + path + ")";
      }
      return "MISMATCH  "
          + where
          + " ("
          + path
          + "): expected sha256 "
          + abbrev(expected)
          + ", found "
          + abbrev(actual);
    }

    private static String abbrev(String s) {
      return s == null ? "nothing" : s.length() > 16 ? s.substring(0, 16) : s;
    }
  }

  /**
   * @param recordedCode {@code git describe} recorded by the last command that wrote the run
   * @param currentCode the running {@code git describe}
   * @param recordedDigest the recorded code digest, or null in a manifest older than the digest
   * @param currentDigest the running code's digest
   * @param stagesOtherCode stages whose recorded code digest differs from the running code's digest
   *     over the stage's code scope (a stage digests only the code it reaches)
   */
  public record Result(
      List<Finding> findings,
      String recordedCode,
      String currentCode,
      String recordedDigest,
      String currentDigest,
      List<String> stagesOtherCode,
      List<String> notes) {

    /**
     * Same code: equal digests (or, for an old manifest without one, equal {@code git describe}).
     */
    public boolean codeMatches() {
      if (recordedDigest != null) {
        return recordedDigest.equals(currentDigest);
      }
      return recordedCode != null && recordedCode.equals(currentCode);
    }

    /** The human-readable line about the code. */
    public String codeLine() {
      String versions =
          "git describe recorded "
              + recordedCode
              + (java.util.Objects.equals(recordedCode, currentCode)
                  ? ""
                  : ", running " + currentCode);
      if (recordedDigest == null) {
        return (codeMatches() ? "ok        " : "note      ")
            + "code: no code digest recorded (older manifest); "
            + versions;
      }
      if (codeMatches()) {
        return "ok        code: digest "
            + abbrev(currentDigest)
            + " matches ("
            + versions
            + ")"
            + (stagesOtherCode.isEmpty()
                ? ""
                : "; stages cached from other code: " + String.join(", ", stagesOtherCode));
      }
      return "note      code: digest differs, recorded "
          + abbrev(recordedDigest)
          + ", running "
          + abbrev(currentDigest)
          + " ("
          + versions
          + "): a run with this code would run "
          + (stagesOtherCode.isEmpty()
              ? "no stage again (the change lies outside every stage's code scope)"
              : String.join(", ", stagesOtherCode) + " again");
    }

    private static String abbrev(String s) {
      return s == null ? "none" : s.substring(0, Math.min(12, s.length()));
    }

    public boolean ok() {
      return findings.stream().allMatch(Finding::ok);
    }

    public long mismatches() {
      return findings.stream().filter(f -> !f.ok()).count();
    }

    public ObjectNode toJson() {
      ObjectNode o = Manifest.json().createObjectNode();
      o.put("ok", ok());
      o.put("checked", findings.size());
      o.put("mismatches", mismatches());
      o.put("code_version_recorded", recordedCode);
      o.put("code_version_current", currentCode);
      o.put("code_version_matches", recordedCode != null && recordedCode.equals(currentCode));
      o.put("code_digest_recorded", recordedDigest);
      o.put("code_digest_current", currentDigest);
      o.put("code_matches", codeMatches());
      ArrayNode n = o.putArray("notes");
      notes.forEach(n::add);
      ArrayNode other = o.putArray("stages_other_code");
      stagesOtherCode.forEach(other::add);
      ArrayNode a = o.putArray("findings");
      for (Finding f : findings) {
        a.addObject()
            .put("stage", f.stage())
            .put("kind", f.kind())
            .put("name", f.name())
            .put("path", f.path())
            .put("expected", f.expected())
            .put("actual", f.actual())
            .put("ok", f.ok());
      }
      return o;
    }
  }

  /**
   * What a run directory holds besides recorded artifacts, as the stages that own it declare it:
   * work folders (resume points) and sealed stores (cache entries each sealed by a {@code .sha256}
   * file beside it), as paths relative to the run directory with a trailing {@code /}.
   */
  public record Owned(List<String> workFolders, List<SealedStore> sealedStores) {
    public static final Owned NONE = new Owned(List.of(), List.of());
  }

  /**
   * A folder of cache entries owned by {@code stage}, each {@code *.avro} sealed by its {@code
   * .sha256}.
   */
  public record SealedStore(String stage, String folder) {}

  public static Result check(Path runDir) {
    return check(runDir, stage -> CodeDigest.current(), Owned.NONE);
  }

  /**
   * As {@link #check(Path)}, each stage's recorded code digest compared with {@code stageCode} of
   * its name: the digest of the code in that stage's scope (stages live above this module, so the
   * caller knows the scopes and the folders they own).
   */
  public static Result check(
      Path runDir, java.util.function.Function<String, String> stageCode, Owned owned) {
    if (!Files.exists(runDir.resolve(Manifest.FILE))) {
      throw new UserInputException(
          runDir + ": no " + Manifest.FILE + " (not a hatflow run directory)");
    }
    RunManifest m = Manifest.load(runDir).value();
    List<Finding> out = new ArrayList<>();
    out.add(
        check(
            "",
            "spec",
            "spec.yaml",
            runDir.resolve(RunDir.SPEC_FILE),
            "spec.yaml",
            m.spec() == null ? null : m.spec().sha256()));
    for (Map.Entry<String, StageRecord> stage : m.stages().entrySet()) {
      for (String kind : List.of("inputs", "outputs")) {
        Map<String, Artifact> arts =
            kind.equals("inputs") ? stage.getValue().inputs() : stage.getValue().outputs();
        for (Map.Entry<String, Artifact> a : arts.entrySet()) {
          String p = a.getValue().path();
          if (a.getValue().remoteUri()) {
            continue;
          }
          Path file = Path.of(p).isAbsolute() ? Path.of(p) : runDir.resolve(p);
          out.add(check(stage.getKey(), kind, a.getKey(), file, p, a.getValue().sha256()));
        }
      }
    }
    out.addAll(lineage(m));
    for (Map.Entry<String, StageRecord> stage : m.stages().entrySet()) {
      StageRecord s = stage.getValue();
      if (!s.done()) {
        String status = s.statusOrEmpty();
        String why =
            status.equals(StageRecord.STALE)
                ? (s.staleBecause() == null ? "an input changed" : s.staleBecause())
                    + "; its outputs were made from the old one (hatflow run makes it again)"
                : "status " + (status.isEmpty() ? "none" : status) + " (hatflow run finishes it)";
        out.add(new Finding(stage.getKey(), STATUS, why, "", "done", status, false));
      }
    }
    List<String> notes = new ArrayList<>();
    for (SealedStore store : owned.sealedStores()) {
      out.addAll(cacheEntries(runDir, store, notes));
    }
    notes.addAll(unknownFiles(runDir, m, owned));
    String current = CodeDigest.current();
    List<String> otherCode = new ArrayList<>();
    for (Map.Entry<String, StageRecord> stage : m.stages().entrySet()) {
      String d = stage.getValue().codeDigest();
      if (d != null && !d.equals(stageCode.apply(stage.getKey()))) {
        otherCode.add(stage.getKey());
      }
    }
    return new Result(
        out, m.codeVersion(), CodeVersion.get(), m.codeDigest(), current, otherCode, notes);
  }

  static final String STATUS = "status";
  static final String LINEAGE = "lineage";

  /**
   * Each stage's recorded inputs against what their producers record now: an input that is another
   * stage's output (or a file inside an output folder) must carry the digest that stage's output
   * has today. This catches a stage left behind by an upstream re-run even where no file on disk is
   * wrong.
   */
  static List<Finding> lineage(RunManifest m) {
    List<Finding> out = new ArrayList<>();
    for (Map.Entry<String, StageRecord> consumer : m.stages().entrySet()) {
      for (Map.Entry<String, Artifact> in : consumer.getValue().inputs().entrySet()) {
        String p = in.getValue().path();
        String used = in.getValue().sha256();
        String produced = producedDigest(m, consumer.getKey(), p);
        if (produced != null && used != null) {
          out.add(
              new Finding(
                  consumer.getKey(),
                  LINEAGE,
                  in.getKey(),
                  p,
                  produced,
                  used,
                  produced.equals(used)));
        }
      }
    }
    return out;
  }

  /**
   * The digest another stage records today for {@code path}: its output, or a file inside its
   * output folder.
   */
  private static String producedDigest(RunManifest m, String consumer, String path) {
    for (Map.Entry<String, StageRecord> producer : m.stages().entrySet()) {
      if (producer.getKey().equals(consumer)) {
        continue;
      }
      for (Artifact o : producer.getValue().outputs().values()) {
        String q = o.path();
        if (q.equals(path)) {
          return o.sha256();
        }
        if (path.startsWith(q + "/")
            && o.files() != null
            && o.files().containsKey(path.substring(q.length() + 1))) {
          return o.files().get(path.substring(q.length() + 1));
        }
      }
    }
    return null;
  }

  /** Files a run keeps besides its recorded artifacts and the stages' own folders: bookkeeping. */
  static final List<String> KNOWN = List.of(Manifest.FILE, RunDir.SPEC_FILE, ".lock", ".sync");

  /**
   * Store entries against their seals; an unsealed entry is a note (its owner does not reuse it).
   */
  private static List<Finding> cacheEntries(Path runDir, SealedStore store, List<String> notes) {
    List<Finding> out = new ArrayList<>();
    Path dir = runDir.resolve(store.folder());
    if (!Files.isDirectory(dir)) {
      return out;
    }
    for (Path f : Digests.files(dir)) {
      String name = f.getFileName().toString();
      if (!name.endsWith(".avro")) {
        continue;
      }
      String rel = runDir.relativize(f).toString();
      Path seal = f.resolveSibling(name + ".sha256");
      if (!Files.exists(seal)) {
        notes.add(
            "unsealed evaluation-store entry "
                + rel
                + " (its job did not finish; the "
                + store.stage()
                + " does not reuse it)");
        continue;
      }
      try {
        out.add(check(store.stage(), "cache", name, f, rel, Files.readString(seal).trim()));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot read " + seal, e);
      }
    }
    return out;
  }

  /**
   * Files that are no recorded artifact, cache entry or bookkeeping: named, so nothing lies there
   * unseen.
   */
  private static List<String> unknownFiles(Path runDir, RunManifest m, Owned owned) {
    List<String> covered = new ArrayList<>(KNOWN);
    covered.addAll(owned.workFolders());
    owned.sealedStores().forEach(s -> covered.add(s.folder()));
    for (StageRecord stage : m.stages().values()) {
      for (Map<String, Artifact> arts : List.of(stage.inputs(), stage.outputs())) {
        arts.values()
            .forEach(
                a -> {
                  covered.add(a.path());
                  covered.add(a.path() + "/");
                });
      }
    }
    List<String> out = new ArrayList<>();
    for (Path f : Digests.files(runDir)) {
      String rel = runDir.relativize(f).toString().replace('\\', '/');
      if (covered.stream().noneMatch(c -> c.endsWith("/") ? rel.startsWith(c) : rel.equals(c))) {
        out.add("unknown file " + rel + " (no stage recorded it)");
      }
    }
    return out;
  }

  private static Finding check(
      String stage, String kind, String name, Path file, String shown, String expected) {
    String actual = Files.exists(file) ? Digests.sha256Tree(file) : null;
    return new Finding(
        stage, kind, name, shown, expected, actual, actual != null && actual.equals(expected));
  }
}
