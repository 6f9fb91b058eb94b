package io.hatflow.core.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code manifest.json} bound to {@link RunManifest}: a manifest in the form runs wrote before the
 * binding (the JSON tree the stage runner used to edit in place) reads into the records and is
 * written back with the same fields and values, its stages' outputs in the recorded order
 * (consumers' fingerprints digest them in it).
 */
class ManifestFormatTest {
  @TempDir Path run;

  /** A manifest as the tree-editing code wrote it: every field any stage recorded. */
  private String oldForm() throws Exception {
    Path vocab = run.resolve("prepare/vocab/vocab.txt");
    Files.createDirectories(vocab.getParent());
    Files.writeString(vocab, "a\nb\n");
    Path shard = run.resolve("prepare/train/shard-0.avro");
    Files.createDirectories(shard.getParent());
    Files.writeString(shard, "shard");
    Path ck = run.resolve("train/checkpoint.hfc");
    Files.createDirectories(ck.getParent());
    Files.writeString(ck, "weights");
    Files.writeString(run.resolve("spec.yaml"), "name: old\n");
    String prep = Digests.sha256Tree(run.resolve("prepare"));
    return """
        {
          "hatflow_manifest" : 1,
          "spec" : {
            "file" : "spec.yaml",
            "source_name" : "demo.yaml",
            "sha256" : "%s",
            "effective_sha256" : "eff"
          },
          "overrides" : [ { "key" : "train.steps", "value" : "20" } ],
          "name" : "old",
          "seed" : 1,
          "code_version" : "v0-1-gabc",
          "code_digest" : "code",
          "runner" : "DirectRunner",
          "options" : { "parallelism" : "2" },
          "host" : "h",
          "stages" : {
            "prepare" : {
              "status" : "done",
              "fingerprint" : "fp-prepare",
              "started" : "2026-12-01T10:00:00Z",
              "code_digest" : "scope-prepare",
              "inputs" : { "train.src" : { "path" : "/data/train.en", "sha256" : "x", "bytes" : 10 },
                           "vocab_from" : { "path" : "gs://b/spm.model", "sha256" : "y" } },
              "outputs" : { "prepare" : { "path" : "prepare", "sha256" : "%s", "bytes" : 9,
                  "files" : { "train/shard-0.avro" : "%s", "vocab/vocab.txt" : "%s" } } },
              "counts" : { "vocab_size" : 2, "record_digest" : "r", "train" : { "kept" : 5, "dropped_empty" : 0 } },
              "finished" : "2026-12-01T10:00:01Z",
              "seconds" : 1.5
            },
            "train" : {
              "status" : "cached",
              "fingerprint" : "fp-train",
              "code_digest" : "scope-train",
              "inputs" : { "prepare/prepare" : { "path" : "prepare", "sha256" : "%s" } },
              "from_run" : "../other",
              "outputs" : { "checkpoint" : { "path" : "train/checkpoint.hfc", "sha256" : "%s", "bytes" : 7 },
                            "train_log" : { "path" : "train/train.log", "sha256" : "z", "bytes" : 1 } },
              "counts" : { "steps" : 20, "last_loss" : 7.25 }
            },
            "search" : {
              "status" : "failed",
              "fingerprint" : "fp-search",
              "budgets_ms" : { "cpu" : [ 10.0, 20.5 ] },
              "hypervolume" : { "mode" : "hat", "reference" : [ 1.1, 1.1 ], "final" : { "cpu" : 0.5 } },
              "error" : "boom",
              "finished" : "2026-12-01T10:00:03Z"
            },
            "finalize" : {
              "status" : "stale",
              "training" : { "mode" : "inherit", "steps" : 10, "lr" : 1.0E-4, "warmup_steps" : 1,
                             "schedule" : "constant" },
              "stale_because" : "search changed since it ran"
            }
          },
          "finished" : false
        }
        """
        .formatted(
            Digests.sha256(run.resolve("spec.yaml")),
            prep,
            Digests.sha256(shard),
            Digests.sha256(vocab),
            prep,
            Digests.sha256(ck));
  }

  @Test
  void aManifestOfTheOldFormReadsIntoTheRecordsAndIsWrittenBackUnchanged() throws Exception {
    String old = oldForm();
    Files.writeString(run.resolve(Manifest.FILE), old);
    Manifest m = Manifest.load(run);
    RunManifest v = m.value();
    assertEquals("eff", m.effectiveSpecDigest());
    assertEquals(List.of(new RunManifest.Override("train.steps", "20")), v.overrides());
    assertEquals(1L, v.seed());
    assertFalse(v.runFinished());
    assertTrue(m.stageDone("prepare"));
    assertTrue(m.stageDone("train"));
    assertFalse(m.stageDone("search"));
    StageRecord prepare = m.stage("prepare");
    assertEquals(List.of("train.src", "vocab_from"), List.copyOf(prepare.inputs().keySet()));
    assertTrue(prepare.inputs().get("vocab_from").remoteUri());
    assertEquals(2, prepare.outputs().get("prepare").files().size());
    assertEquals(2, prepare.counts().path("vocab_size").asInt());
    assertEquals(1.5, prepare.seconds());
    assertEquals(
        List.of("checkpoint", "train_log"), List.copyOf(m.stage("train").outputs().keySet()));
    assertEquals("../other", m.stage("train").fromRun());
    assertEquals(List.of(10.0, 20.5), m.stage("search").budgetsMs().get("cpu"));
    assertEquals(0.5, m.stage("search").hypervolume().path("final").path("cpu").asDouble());
    assertEquals("search changed since it ran", m.stage("finalize").staleBecause());
    assertEquals("constant", m.stage("finalize").training().path("schedule").asText());
    assertNull(m.stage("report").status());

    m.save();
    JsonNode before = Manifest.json().readTree(old);
    JsonNode after = Manifest.json().readTree(Files.readAllBytes(run.resolve(Manifest.FILE)));
    assertEquals(before, after);
    assertEquals(
        List.of("checkpoint", "train_log"),
        fieldNames(after.path("stages").path("train").path("outputs")));
  }

  @Test
  void auditReadsAManifestOfTheOldForm() throws Exception {
    Files.writeString(run.resolve(Manifest.FILE), oldForm());
    Audit.Result r = Audit.check(run);
    List<String> bad = r.findings().stream().filter(f -> !f.ok()).map(Audit.Finding::line).toList();
    // The run's own files hold; the absolute input and the log do not exist here; search and
    // finalize are unfinished.
    assertTrue(
        r.findings().stream()
            .anyMatch(f -> f.ok() && f.name().equals("prepare") && f.kind().equals("outputs")));
    assertTrue(r.findings().stream().anyMatch(f -> f.ok() && f.name().equals("checkpoint")));
    assertTrue(
        r.findings().stream().anyMatch(f -> f.ok() && f.name().equals("prepare/prepare")),
        bad.toString());
    assertEquals(4, bad.size(), bad.toString());
    assertEquals("code", r.recordedDigest());
  }

  @Test
  void aStageRunAndFinishedKeepsWhatItStartedWith() {
    Manifest m = Manifest.load(run);
    Artifact used = Artifact.used("prepare", "abc");
    m.stageStarted("train", "fp", "scope", java.util.Map.of("prepare/prepare", used));
    assertEquals(StageRecord.RUNNING, m.stage("train").status());
    m.stageFinished(
        "train",
        2500,
        new StageRecord.Recorded(
            java.util.Map.of(),
            java.util.Map.of(),
            Manifest.json().createObjectNode().put("steps", 3),
            null,
            java.util.Map.of(),
            null,
            null));
    StageRecord t = Manifest.load(run).stage("train");
    assertEquals(StageRecord.DONE, t.status());
    assertEquals("fp", t.fingerprint());
    assertEquals("scope", t.codeDigest());
    assertEquals(used, t.inputs().get("prepare/prepare"));
    assertEquals(3, t.counts().path("steps").asInt());
    assertEquals(2.5, t.seconds());
    assertNull(t.budgetsMs(), "no budgets recorded: no field written");
  }

  private static List<String> fieldNames(JsonNode n) {
    List<String> out = new java.util.ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
