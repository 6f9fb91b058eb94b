package io.hatflow.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user runs it: exit codes, messages, the run directory and its manifest. */
class HatflowCliTest {
  @TempDir Path tmp;

  static Path testdata() {
    return io.hatflow.pipelines.prepare.TestData.dir();
  }

  record Out(int code, String out, String err) {}

  static Out run(String... argv) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
    try {
      int code = Hatflow.execute(argv);
      return new Out(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  private Path spec(String name, String extra) throws Exception {
    Path t = testdata().resolve("multi30k");
    String text =
        String.join(
            "\n",
            "version: 1",
            "name: " + name,
            "data:",
            "  train: {src: " + t.resolve("valid.en") + ", tgt: " + t.resolve("valid.de") + "}",
            "  valid_size: 20",
            "  test_size: 20",
            "  vocab: {size: 300}",
            "  max_ratio: 3",
            "  shards: 1",
            extra,
            "");
    Path f = tmp.resolve(name + ".yaml");
    Files.writeString(f, text);
    return f;
  }

  @Test
  void badSpecExitsTwoNamingFileLineAndKey() throws Exception {
    Path s = spec("bad", "model: {dropout: lots}");
    Out r = run("prepare", "--spec", s.toString(), "--run-dir", tmp.resolve("r").toString());
    assertEquals(2, r.code());
    assertTrue(
        r.err().contains("bad.yaml:10: model.dropout: expected a number in [0, 0.9], got \"lots\""),
        r.err());
    assertFalse(
        Files.exists(tmp.resolve("r")), "nothing is written for a spec that does not validate");
  }

  @Test
  void nsga2PopulationBelowFourAndANonDominatingReferenceExitTwoNamingTheKey() throws Exception {
    Path s = spec("moo", "search: {mode: nsga2, population: 3, parents: 2}");
    Out r = run("search", "--spec", s.toString(), "--run-dir", tmp.resolve("r").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                "moo.yaml:10: search.population: mode nsga2 needs a population of at least 4"),
        r.err());
    Out ref =
        run(
            "search",
            "--spec",
            spec("ok", "").toString(),
            "--run-dir",
            tmp.resolve("r").toString(),
            "--set",
            "search.hv_reference=[1.2, 0.9]");
    assertEquals(2, ref.code(), ref.err());
    assertTrue(ref.err().contains("search.hv_reference: [1.2, 0.9] does not dominate"), ref.err());
    assertFalse(Files.exists(tmp.resolve("r")));
  }

  @Test
  void unknownSetKeyAndMissingSpecFileExitTwo() throws Exception {
    Path s = spec("ok", "");
    Out r = run("prepare", "--spec", s.toString(), "--set", "data.vocab.colour=red");
    assertEquals(2, r.code());
    assertTrue(
        r.err().contains("--set data.vocab.colour=red: data.vocab.colour: unknown key"), r.err());
    Out m = run("prepare", "--spec", tmp.resolve("nope.yaml").toString());
    assertEquals(2, m.code());
    assertTrue(m.err().contains("nope.yaml: spec file does not exist"), m.err());
    assertEquals(2, run("prepare").code(), "missing --spec is a usage error");
    Out runner = run("prepare", "--spec", s.toString(), "--runner=NoSuchRunner");
    assertEquals(2, runner.code());
    assertTrue(
        runner.err().contains("NoSuchRunner") && !runner.err().contains("Unknown option"),
        "Beam options reach Beam: " + runner.err());
  }

  @Test
  void missingCorpusFileExitsTwoAndLeavesNoOutput() throws Exception {
    Path s = spec("missing", "").getParent().resolve("missing.yaml");
    Files.writeString(s, Files.readString(s).replace("valid.en", "no-such-file.en"));
    Path rd = tmp.resolve("run-missing");
    Out r = run("prepare", "--spec", s.toString(), "--run-dir", rd.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("no-such-file.en"), r.err());
    assertFalse(Files.exists(rd.resolve("prepare")));
    try (Stream<Path> st = Files.list(rd)) {
      assertTrue(
          st.noneMatch(p -> p.getFileName().toString().startsWith("prepare.tmp")),
          "no temporary output left");
    }
  }

  @Test
  void prepareRecordsLineageCachesAndRefusesAnotherSpec() throws Exception {
    Path s = spec("lineage", "");
    Path rd = tmp.resolve("run");
    Out r =
        run(
            "prepare",
            "--spec",
            s.toString(),
            "--run-dir",
            rd.toString(),
            "--set",
            "data.shards=2");
    assertEquals(0, r.code(), r.err());
    assertArrayEquals(
        Files.readAllBytes(s),
        Files.readAllBytes(rd.resolve("spec.yaml")),
        "spec copied byte for byte");
    JsonNode m = new ObjectMapper().readTree(rd.resolve("manifest.json").toFile());
    assertEquals("data.shards", m.path("overrides").get(0).path("key").asText());
    assertEquals("2", m.path("overrides").get(0).path("value").asText());
    assertEquals("DirectRunner", m.path("runner").asText());
    JsonNode prep = m.path("stages").path("prepare");
    assertEquals("done", prep.path("status").asText());
    assertEquals(64, prep.path("inputs").path("train.src").path("sha256").asText().length());
    assertEquals(64, prep.path("outputs").path("prepare").path("sha256").asText().length());
    assertEquals(300, prep.path("counts").path("vocab_size").asInt());
    try (Stream<Path> st = Files.list(rd.resolve("prepare"))) {
      assertEquals(2, st.filter(p -> p.getFileName().toString().startsWith("train-")).count());
    }
    assertFalse(
        Files.exists(rd.resolve("prepare/.temp-beam")),
        "Beam's emptied temp folder is not left behind");

    Out again =
        run(
            "prepare",
            "--spec",
            s.toString(),
            "--run-dir",
            rd.toString(),
            "--set",
            "data.shards=2");
    assertEquals(0, again.code());
    assertTrue(again.out().contains("[prepare] cached"), again.out());

    // Another git describe (a docs-only commit, a dirty tree) with the same classes: still cached.
    String oldVersion = System.getProperty("hatflow.codeVersion");
    System.setProperty("hatflow.codeVersion", "v9.9-docs-only-dirty");
    try {
      Out docsOnly =
          run(
              "prepare",
              "--spec",
              s.toString(),
              "--run-dir",
              rd.toString(),
              "--set",
              "data.shards=2");
      assertTrue(docsOnly.out().contains("[prepare] cached"), docsOnly.out());
    } finally {
      if (oldVersion == null) {
        System.clearProperty("hatflow.codeVersion");
      } else {
        System.setProperty("hatflow.codeVersion", oldVersion);
      }
    }
    JsonNode m2 = new ObjectMapper().readTree(rd.resolve("manifest.json").toFile());
    assertEquals(
        "v9.9-docs-only-dirty",
        m2.path("code_version").asText(),
        "git describe recorded for people");
    assertEquals(io.hatflow.core.run.CodeDigest.current(), m2.path("code_digest").asText());
    // A stage records the digest of its code scope, not of the whole code (the report's code is not
    // prepare's).
    String prepareCode =
        io.hatflow.pipelines.stages.StageRunner.codeDigest(
            io.hatflow.pipelines.stages.Stages.named("prepare"));
    assertEquals(prepareCode, m2.path("stages").path("prepare").path("code_digest").asText());
    assertTrue(!prepareCode.equals(io.hatflow.core.run.CodeDigest.current()));

    Out audit = run("audit", rd.toString(), "--json");
    assertEquals(0, audit.code(), audit.out());
    assertTrue(
        audit
            .out()
            .contains(
                "ok        code: digest "
                    + io.hatflow.core.run.CodeDigest.current().substring(0, 12)
                    + " matches (git describe recorded v9.9-docs-only-dirty"),
        audit.out());
    assertTrue(
        !audit.out().contains("cached from other code"),
        "audit compares each stage with its own scope");
    String[] lines = audit.out().trim().split("\n");
    JsonNode aj = new ObjectMapper().readTree(lines[lines.length - 1]);
    assertTrue(aj.path("code_matches").asBoolean(), aj.toString());
    assertEquals(64, aj.path("code_digest_recorded").asText().length());
    Path shard;
    try (Stream<Path> st = Files.list(rd.resolve("prepare"))) {
      shard =
          st.filter(p -> p.getFileName().toString().startsWith("valid-")).findFirst().orElseThrow();
    }
    Files.write(shard, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
    Out tampered = run("audit", rd.toString());
    assertEquals(1, tampered.code());
    assertTrue(tampered.out().contains("MISMATCH  prepare outputs prepare"), tampered.out());

    Out other = run("prepare", "--spec", s.toString(), "--run-dir", rd.toString());
    assertEquals(2, other.code(), "a different effective spec is refused");
    assertTrue(other.err().contains("run of a different spec"), other.err());
  }

  @Test
  void aRunDirOnGcsWorksAndAnUnknownSchemeOrAGsSpecIsRefused() throws Exception {
    Path s = spec("gs", "");
    java.nio.file.Path cwd = Path.of("").toAbsolutePath();
    Out r = run("run", "--spec", s.toString(), "--run-dir", "ftp://host/runs/x");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("--run-dir ftp://host/runs/x")
            && r.err().contains("\"ftp\"")
            && r.err().contains("hdfs://, gs://"),
        r.err());
    assertFalse(Files.exists(cwd.resolve("ftp:")), "no local folder named ftp: is made");
    Out spec = run("run", "--spec", "gs://bucket/spec.yaml");
    assertEquals(2, spec.code());
    assertTrue(
        spec.err().contains("--spec") && spec.err().contains("the spec must be a local file"),
        spec.err());

    // A run directory on Cloud Storage (the client's in-memory fake): the import lands there, lock
    // released.
    var storage =
        com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper.getOptions().getService();
    io.hatflow.pipelines.rundir.RunLocation.useStorage(storage);
    System.setProperty("hatflow.workDir", Files.createTempDirectory("hatflow-gcs-work").toString());
    try {
      Out imp =
          run(
              "latency",
              "import",
              "--csv",
              testdata().resolve("latency/tiny-epyc-1t.csv").toString(),
              "--target",
              "epyc",
              "--run-dir",
              "gs://bucket/runs/x");
      assertEquals(0, imp.code(), imp.err() + imp.out());
      var blob =
          storage.get(com.google.cloud.storage.BlobId.of("bucket", "runs/x/latency/epyc.csv"));
      assertTrue(blob != null && blob.getSize() > 1000, "imported CSV on GCS");
      assertEquals(
          null,
          storage.get(com.google.cloud.storage.BlobId.of("bucket", "runs/x/.lock")),
          "lock released");
    } finally {
      io.hatflow.pipelines.rundir.RunLocation.useStorage(null);
      System.clearProperty("hatflow.workDir");
    }
  }

  @Test
  void trainFromRunCopiesTheOtherRunsCheckpointThroughFileSystemsAndRecordsIt() throws Exception {
    Path s =
        spec(
            "reuse",
            "train: {steps: 2, max_tokens: 300, warmup_steps: 1, checkpoint_every: 2, threads: 1}");
    Path a = tmp.resolve("a");
    for (String stage : List.of("prepare", "train")) {
      Out r = run("run", "--spec", s.toString(), "--run-dir", a.toString(), "--only", stage);
      assertEquals(0, r.code(), r.err() + r.out());
    }
    Path theirs = a.resolve("train/checkpoint.hfc");
    Path b = tmp.resolve("b");
    String from = "train.from_run=" + a;
    for (String stage : List.of("prepare", "train")) {
      Out r =
          run(
              "run",
              "--spec",
              s.toString(),
              "--run-dir",
              b.toString(),
              "--only",
              stage,
              "--set",
              from);
      assertEquals(0, r.code(), r.err() + r.out());
      if (stage.equals("train")) {
        assertTrue(r.out().contains("[train] reusing the SuperTransformer of " + a), r.out());
      }
    }
    assertArrayEquals(
        Files.readAllBytes(theirs), Files.readAllBytes(b.resolve("train/checkpoint.hfc")));
    JsonNode in =
        new ObjectMapper()
            .readTree(b.resolve("manifest.json").toFile())
            .path("stages")
            .path("train")
            .path("inputs")
            .path("from_run_checkpoint");
    assertEquals(theirs.toString(), in.path("path").asText());
    assertEquals(io.hatflow.core.run.Digests.sha256(theirs), in.path("sha256").asText());
    Out again =
        run(
            "run",
            "--spec",
            s.toString(),
            "--run-dir",
            b.toString(),
            "--only",
            "train",
            "--set",
            from);
    assertTrue(again.out().contains("[train] cached"), again.out());

    String nowhere = "train.from_run=" + tmp.resolve("nowhere");
    assertEquals(
        0,
        run(
                "run",
                "--spec",
                s.toString(),
                "--run-dir",
                tmp.resolve("c").toString(),
                "--only",
                "prepare",
                "--set",
                nowhere)
            .code());
    Out missing =
        run(
            "run",
            "--spec",
            s.toString(),
            "--run-dir",
            tmp.resolve("c").toString(),
            "--only",
            "train",
            "--set",
            nowhere);
    assertEquals(2, missing.code(), missing.err());
    assertTrue(
        missing
            .err()
            .contains(
                "train.from_run: "
                    + tmp.resolve("nowhere/train/checkpoint.hfc")
                    + " does not exist"),
        missing.err());
  }

  @Test
  void helpListsEveryCommand() {
    Out r = run("--help");
    assertEquals(0, r.code());
    for (String c : List.of("demo", "run", "prepare", "audit", "bleu", "publish")) {
      assertTrue(r.out().contains(c), c);
    }
  }
}
