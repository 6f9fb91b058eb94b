package io.hatflow.pipelines.stages;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.pipelines.cli.Hatflow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} in the middle of train and of search, then the same command again: the run
 * continues from the last checkpoint / finished generation and ends with what an uninterrupted run
 * produces.
 */
public class ResumeAfterKillTest {
  @TempDir Path tmp;

  private Path spec() throws Exception {
    Path t = null;
    for (Path d = Path.of("").toAbsolutePath(); d != null && t == null; d = d.getParent()) {
      if (Files.isDirectory(d.resolve("testdata/multi30k"))) {
        t = d.resolve("testdata/multi30k");
      }
    }
    String text =
        String.join(
            "\n",
            "version: 1",
            "name: resume",
            "seed: 3",
            "data:",
            "  train: {src: " + t.resolve("valid.en") + ", tgt: " + t.resolve("valid.de") + "}",
            "  valid_size: 40",
            "  test_size: 20",
            "  vocab: {size: 300}",
            "  max_ratio: 3",
            "  shards: 1",
            "train: {steps: 60, max_tokens: 600, warmup_steps: 10, checkpoint_every: 5, threads: 1}",
            "targets:",
            "  - name: cpu",
            "    latency: {measure: {samples: 12, runs: 2, warmup: 1}}",
            "    budgets_pct: [40, 90]",
            "search: {population: 8, parents: 3, mutations: 3, crossovers: 2, generations: 4, valid_subset: 30}",
            "");
    Path f = tmp.resolve("resume.yaml");
    Files.writeString(f, text);
    return f;
  }

  /** Starts the CLI in a child JVM and kills it with SIGKILL once {@code ready} holds. */
  public static void runAndKill(List<String> args, Predicate<String> ready, Path log)
      throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-Xmx2g",
                "-cp",
                System.getProperty("java.class.path"),
                Hatflow.class.getName()));
    cmd.addAll(args);
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.currentTimeMillis() + 240_000;
    while (p.isAlive()
        && System.currentTimeMillis() < deadline
        && !ready.test(Files.readString(log))) {
      Thread.sleep(200);
    }
    assertTrue(
        p.isAlive(), "the child finished before it could be killed:\n" + Files.readString(log));
    Runtime.getRuntime().exec(new String[] {"kill", "-9", Long.toString(p.pid())}).waitFor();
    p.waitFor(30, TimeUnit.SECONDS);
  }

  @Test
  void killedTrainAndSearchResumeToTheUninterruptedResult() throws Exception {
    Path s = spec();
    Path ref = tmp.resolve("ref");
    assertEquals(0, Hatflow.execute("run", "--spec", s.toString(), "--run-dir", ref.toString()));
    byte[] refCheckpoint = Files.readAllBytes(TrainStage.Outputs.at(ref).checkpoint());
    byte[] refWinners = Files.readAllBytes(ref.resolve("search/winners.json"));

    Path run = tmp.resolve("run");
    assertEquals(
        0,
        Hatflow.execute(
            "run", "--spec", s.toString(), "--run-dir", run.toString(), "--only", "prepare"));
    Path log = tmp.resolve("train.log");
    runAndKill(
        List.of("run", "--spec", s.toString(), "--run-dir", run.toString()),
        out -> out.matches("(?s).*\\[train\\] step (2[0-9]|[3-5][0-9])/60.*"),
        log);
    assertTrue(
        Files.exists(run.resolve("train/.next/checkpoint.hfc")),
        "a checkpoint was written before the kill");
    assertFalse(
        Files.exists(TrainStage.Outputs.at(run).checkpoint()),
        "nothing unfinished lies under the checkpoint's final name");
    assertEquals(
        0,
        Hatflow.execute(
            "run", "--spec", s.toString(), "--run-dir", run.toString(), "--only", "train"));
    assertTrue(
        Files.readString(run.resolve("train/train.log"))
            .matches("(?s).*resumed from step [1-9][0-9]* .*"),
        "training continued from its checkpoint, not from step 0");
    assertArrayEquals(
        refCheckpoint,
        Files.readAllBytes(TrainStage.Outputs.at(run).checkpoint()),
        "the resumed training reaches the uninterrupted weights bit for bit");

    // The reference's measurements, which the latency stage reuses as rows already measured on this
    // host, so
    // the search sees the same predictor (copying its output afterwards would be refused: it
    // changed).
    Files.createDirectories(run.resolve("latency"));
    Files.copy(ref.resolve("latency/cpu.avro"), run.resolve("latency/cpu.avro"));
    assertEquals(
        0,
        Hatflow.execute(
            "run", "--spec", s.toString(), "--run-dir", run.toString(), "--only", "latency"));
    assertArrayEquals(
        Files.readAllBytes(ref.resolve("latency/cpu.csv")),
        Files.readAllBytes(run.resolve("latency/cpu.csv")));
    assertEquals(
        0,
        Hatflow.execute(
            "run",
            "--spec",
            s.toString(),
            "--run-dir",
            run.toString(),
            "--only",
            "predictor",
            "--force",
            "predictor"));

    Path slog = tmp.resolve("search.log");
    runAndKill(
        List.of("run", "--spec", s.toString(), "--run-dir", run.toString(), "--only", "search"),
        out -> out.contains("gen 2/4"),
        slog);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.PrintStream old = System.out;
    System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      assertEquals(
          0,
          Hatflow.execute(
              "run", "--spec", s.toString(), "--run-dir", run.toString(), "--only", "search"));
    } finally {
      System.setOut(old);
    }
    String resumed = out.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(
        resumed.contains("gen 1/4") && resumed.contains("(resumed)"),
        "finished generations were not redone:\n" + resumed);
    assertArrayEquals(
        refWinners,
        Files.readAllBytes(run.resolve("search/winners.json")),
        "the resumed search ends with the uninterrupted winners, byte for byte");
  }
}
