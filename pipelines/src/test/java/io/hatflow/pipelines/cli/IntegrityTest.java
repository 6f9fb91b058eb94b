package io.hatflow.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.run.AtomicFiles;
import io.hatflow.core.run.Manifest;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Faults a user met on purpose, each reproduced on a copy of one real reduced run (prepare to
 * search): a stage never consumes an unfinished, changed or damaged artifact, and a fault ends in
 * one clear message.
 */
class IntegrityTest {
  static Path base;

  @BeforeAll
  static void run() throws Exception {
    base = Files.createTempDirectory("hatflow-integrity-").resolve("run");
    for (String stage : List.of("prepare", "train", "latency", "predictor", "search")) {
      HatflowCliTest.Out r = cmd("run", base, "--only", stage);
      assertEquals(0, r.code(), stage + ": " + r.err() + r.out());
    }
  }

  @AfterAll
  static void clean() {
    AtomicFiles.deleteTree(base.getParent());
  }

  /** A hatflow command on the demo spec, reduced, in run directory {@code rd}. */
  static HatflowCliTest.Out cmd(String command, Path rd, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                command, "--spec", DemoCommand.demoSpec().toString(), "--run-dir", rd.toString()));
    args.addAll(List.of(DemoEndToEndTest.REDUCED));
    args.addAll(List.of(more)); // after REDUCED: a later --set of the same key wins
    return HatflowCliTest.run(args.toArray(String[]::new));
  }

  static Path copy(String name) {
    Path rd = base.resolveSibling(name);
    AtomicFiles.copyTree(base, rd);
    return rd;
  }

  static JsonNode manifest(Path rd) {
    return Manifest.load(rd).tree();
  }

  static String lastLine(String s) {
    String[] lines = s.strip().split("\n");
    return lines[lines.length - 1];
  }

  @Test
  void aDamagedEvaluationStoreEntryIsNeverReused() throws Exception {
    Path rd = copy("damaged-store");
    Path entry;
    try (Stream<Path> s = Files.list(rd.resolve("search/eval-store"))) {
      entry =
          s.filter(p -> p.getFileName().toString().matches("fitness-g0000-.*\\.avro"))
              .findFirst()
              .orElseThrow();
    }
    assertTrue(
        Files.exists(entry.resolveSibling(entry.getFileName() + ".sha256")), "entries are sealed");
    byte[] winners = Files.readAllBytes(rd.resolve("search/winners.json"));
    try (RandomAccessFile f = new RandomAccessFile(entry.toFile(), "rw")) {
      long at = f.length() - 20; // inside the last data block: a cached value, not the header
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x80);
    }

    HatflowCliTest.Out audit = HatflowCliTest.run("audit", rd.toString());
    assertEquals(1, audit.code(), audit.out());
    assertTrue(audit.out().contains("MISMATCH  search cache " + entry.getFileName()), audit.out());

    HatflowCliTest.Out search = cmd("search", rd, "--force");
    assertEquals(1, search.code(), search.err());
    assertTrue(
        lastLine(search.err()).contains("evaluation store entry")
            && lastLine(search.err()).contains(entry.getFileName().toString())
            && lastLine(search.err()).contains("does not match its seal"),
        search.err());
    assertArrayEquals(
        winners, Files.readAllBytes(rd.resolve("search/winners.json")), "the old winners stay");
  }

  @Test
  void nsga2SearchesTheSameTrainedRunPicksWinnersFromItsFrontAndAuditShowsTheHypervolume()
      throws Exception {
    HatflowCliTest.Out hat = HatflowCliTest.run("audit", base.toString());
    // values depend on this machine's measured target (HAT mode counts every config any search
    // evaluated)
    assertTrue(
        hat.out()
            .matches(
                "(?s).*info      search hypervolume \\(mode hat, reference \\[1\\.1,1\\.1\\],"
                    + " search/hypervolume\\.json\\): epyc-bundled=[01]\\.\\d{4} this-cpu=[01]\\.\\d{4}.*"),
        hat.out());

    Path rd = copy("nsga2");
    HatflowCliTest.Out search = cmd("search", rd, "--force", "--set", "search.mode=nsga2");
    assertEquals(0, search.code(), search.err() + search.out());
    assertTrue(
        search.out().matches("(?s).*; hypervolume epyc-bundled=[01]\\.\\d{4}.*"), search.out());
    JsonNode front =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(rd.resolve("search/front.json").toFile());
    JsonNode winners =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(rd.resolve("search/winners.json").toFile());
    assertTrue(winners.path("winners").size() > 0, winners.toString());
    for (JsonNode w : winners.path("winners")) {
      List<String> keys = new ArrayList<>();
      front.path(w.path("target").asText()).forEach(p -> keys.add(p.path("config_key").asText()));
      assertTrue(keys.contains(w.path("config_key").asText()), w + " not on " + keys);
    }
    JsonNode rec = manifest(rd).path("stages").path("search");
    assertEquals("nsga2", rec.path("hypervolume").path("mode").asText());
    assertEquals("[1.1,1.1]", rec.path("hypervolume").path("reference").toString());
    assertTrue(rec.path("outputs").has("front.json"), rec.toString());
    HatflowCliTest.Out audit = HatflowCliTest.run("audit", rd.toString());
    assertEquals(0, audit.code(), audit.out());
    assertTrue(audit.out().contains("info      search hypervolume (mode nsga2"), audit.out());
  }

  @Test
  void aKilledRetrainingLeavesTheFinishedCheckpointAndSearchRefusesTheHalfTrainedOne()
      throws Exception {
    Path rd = copy("half-trained");
    byte[] checkpoint = Files.readAllBytes(rd.resolve("train/checkpoint.hfc"));
    byte[] winners = Files.readAllBytes(rd.resolve("search/winners.json"));
    String[] longer = {"--set", "train.steps=40", "--set", "train.checkpoint_every=5"};
    List<String> args =
        new ArrayList<>(
            List.of(
                "train",
                "--spec",
                DemoCommand.demoSpec().toString(),
                "--run-dir",
                rd.toString(),
                "--force"));
    args.addAll(List.of(DemoEndToEndTest.REDUCED));
    args.addAll(List.of(longer));
    Path log = rd.resolveSibling("half-trained.log");
    io.hatflow.pipelines.stages.ResumeAfterKillTest.runAndKill(
        args, out -> out.matches("(?s).*\\[train\\] step (1[2-9]|[23][0-9])/40.*"), log);

    assertEquals("running", manifest(rd).path("stages").path("train").path("status").asText());
    assertTrue(
        Files.exists(rd.resolve("train/.next/checkpoint.hfc")),
        "the new training's checkpoint is apart");
    assertArrayEquals(
        checkpoint,
        Files.readAllBytes(rd.resolve("train/checkpoint.hfc")),
        "the finished checkpoint stays whole until its replacement has finished");

    HatflowCliTest.Out search = cmd("search", rd, longer);
    assertEquals(1, search.code(), search.err());
    assertTrue(
        lastLine(search.err()).contains("needs the train stage finished, but it is running"),
        search.err());
    assertArrayEquals(winners, Files.readAllBytes(rd.resolve("search/winners.json")));

    HatflowCliTest.Out train =
        cmd("train", rd, longer); // the same command, without --force, resumes
    assertEquals(0, train.code(), train.err() + train.out());
    assertTrue(
        Files.readString(rd.resolve("train/train.log")).contains("resumed from step"),
        "resumed, not redone");
    assertFalse(
        Files.exists(rd.resolve("train/.next")), "the finished training replaced the old one");
    assertFalse(Arrays.equals(checkpoint, Files.readAllBytes(rd.resolve("train/checkpoint.hfc"))));
  }

  @Test
  void trainRefusesATruncatedShardByName() throws Exception {
    Path rd = copy("truncated-shard");
    Path shard = rd.resolve("prepare/train-00000-of-00002.avro");
    byte[] checkpoint = Files.readAllBytes(rd.resolve("train/checkpoint.hfc"));
    byte[] bytes = Files.readAllBytes(shard);
    Files.write(shard, Arrays.copyOf(bytes, bytes.length / 2));

    HatflowCliTest.Out train = cmd("train", rd, "--force");
    assertEquals(1, train.code(), train.err());
    assertTrue(
        lastLine(train.err()).contains(rd + "/prepare/train-00000-of-00002.avro does not match"),
        train.err());
    assertArrayEquals(
        checkpoint, Files.readAllBytes(rd.resolve("train/checkpoint.hfc")), "nothing trained");
  }

  @Test
  void aLostManifestNeverMakesARunDeleteFinishedWork() throws Exception {
    Path rd = copy("lost-manifest");
    byte[] checkpoint = Files.readAllBytes(rd.resolve("train/checkpoint.hfc"));
    Files.delete(rd.resolve("manifest.json"));

    HatflowCliTest.Out again = cmd("run", rd);
    assertEquals(2, again.code(), again.err());
    assertTrue(
        again.err().contains("but no manifest.json") && again.err().contains("train/"),
        again.err());
    assertArrayEquals(checkpoint, Files.readAllBytes(rd.resolve("train/checkpoint.hfc")));
  }

  @Test
  void retrainingMarksWhatWasBuiltOnItStaleUntilItRunsAgain() throws Exception {
    Path rd = copy("retrained");
    HatflowCliTest.Out train =
        cmd("train", rd, "--force", "--set", "train.steps=21"); // another checkpoint
    assertEquals(0, train.code(), train.err() + train.out());
    JsonNode stages = manifest(rd).path("stages");
    assertEquals("stale", stages.path("search").path("status").asText());
    assertEquals(
        "done", stages.path("latency").path("status").asText(), "latency does not depend on train");

    HatflowCliTest.Out audit = HatflowCliTest.run("audit", rd.toString());
    assertEquals(1, audit.code(), audit.out());
    assertTrue(audit.out().contains("STALE     search: train changed since it ran"), audit.out());
    assertTrue(
        audit.out().contains("LINEAGE   search input train/checkpoint (train/checkpoint.hfc)"),
        audit.out());

    HatflowCliTest.Out search = cmd("search", rd, "--set", "train.steps=21");
    assertEquals(0, search.code(), search.err());
    assertEquals("done", manifest(rd).path("stages").path("search").path("status").asText());
    HatflowCliTest.Out clean = HatflowCliTest.run("audit", rd.toString());
    assertEquals(0, clean.code(), clean.out());
    assertFalse(clean.out().contains("LINEAGE"), clean.out());
    assertTrue(clean.out().contains("ok        search input train/checkpoint"), clean.out());
  }

  @Test
  void aFullDiskFailsInOneLineLeavesNoTemporaryFileAndTheSameCommandThenSucceeds()
      throws Exception {
    Path rd = base.resolveSibling("full-disk");
    Files.createDirectories(rd);
    // A real full disk: a small tmpfs (root only; skipped where mounts are not allowed).
    assumeTrue(
        sh("mount -t tmpfs -o size=4m hatflow-full-disk-test " + rd) == 0,
        "needs root to mount a tmpfs");
    try {
      for (String f : List.of("spec.yaml", "manifest.json")) {
        Files.copy(base.resolve(f), rd.resolve(f));
      }
      AtomicFiles.copyTree(base.resolve("prepare"), rd.resolve("prepare"));
      ObjectNode m = (ObjectNode) Manifest.load(rd).tree();
      ((ObjectNode) m.path("stages")).retain("prepare");
      Files.writeString(rd.resolve("manifest.json"), m.toPrettyString());

      HatflowCliTest.Out train = cmd("train", rd);
      assertEquals(1, train.code(), train.err());
      assertTrue(lastLine(train.err()).contains("No space left on device"), lastLine(train.err()));
      try (Stream<Path> s = Files.walk(rd)) {
        assertEquals(
            List.of(), s.filter(p -> p.getFileName().toString().contains(".tmp")).toList());
      }
      assertEquals("failed", manifest(rd).path("stages").path("train").path("status").asText());
      assertTrue(
          manifest(rd)
              .path("stages")
              .path("train")
              .path("error")
              .asText()
              .contains("No space left"));

      assertEquals(0, sh("mount -o remount,size=256m " + rd));
      HatflowCliTest.Out again = cmd("train", rd);
      assertEquals(0, again.code(), again.err() + again.out());
      assertTrue(Files.exists(rd.resolve("train/checkpoint.hfc")));
      assertFalse(again.err().contains("No space"));
    } finally {
      sh("umount " + rd);
    }
  }

  static int sh(String command) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", command + " 2>/dev/null").inheritIO().start();
    return p.waitFor();
  }
}
