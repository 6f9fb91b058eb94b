package io.hatflow.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reduced `hatflow demo`: the whole path on the bundled testdata, every stage for real, in one
 * run.
 */
class DemoEndToEndTest {
  @TempDir Path tmp;

  @Test
  void reducedDemoRunsEveryStageAndAuditsClean() throws Exception {
    Path rd = tmp.resolve("demo");
    HatflowCliTest.Out r = demo(rd);
    assertEquals(0, r.code(), r.err() + r.out());

    ObjectMapper json = new ObjectMapper();
    JsonNode m = json.readTree(rd.resolve("manifest.json").toFile());
    assertTrue(m.path("finished").asBoolean());
    for (String stage :
        List.of("prepare", "train", "latency", "predictor", "search", "finalize", "report")) {
      assertEquals("done", m.path("stages").path(stage).path("status").asText(), stage);
    }

    JsonNode winners = json.readTree(rd.resolve("search/winners.json").toFile()).path("winners");
    assertEquals(4, winners.size(), "2 targets x 2 budgets");
    for (JsonNode w : winners) {
      double own = w.path("predicted_ms").path(w.path("target").asText()).asDouble();
      assertTrue(own <= w.path("budget_ms").asDouble(), "winner within its budget: " + w);
      assertTrue(w.path("params").asLong() > 0 && w.path("flops").asLong() > 0);
      assertTrue(Files.exists(rd.resolve("search").resolve(w.path("yaml").asText())));
    }
    JsonNode results = json.readTree(rd.resolve("finalize/results.json").toFile());
    assertTrue(results.toString().contains("bleu"), results.toString());
    String html = Files.readString(rd.resolve("report/index.html"));
    assertTrue(html.contains("this-cpu") && html.contains("epyc-bundled"));
    assertTrue(
        !html.contains("http://") && !html.contains("https://"), "the report needs no network");
    // Per target: an imported target's winners are not measured on this machine, so no this-cpu
    // figure or
    // error stands beside their predictions; the predictor's model as asked and as fitted; the
    // report itself done.
    assertTrue(html.contains("<td>epyc-bundled</td>") && html.contains("not measured here"), html);
    assertTrue(
        html.contains("phys-gbdt (fitted: linear, too few rows)") && html.contains(" train / "),
        html);
    assertTrue(html.contains("done (this report)") && !html.contains(">running<"), html);

    HatflowCliTest.Out audit = HatflowCliTest.run("audit", rd.toString());
    assertEquals(0, audit.code(), audit.out());

    HatflowCliTest.Out again = demo(rd);
    assertEquals(0, again.code());
    for (String stage :
        List.of("prepare", "train", "latency", "predictor", "search", "finalize", "report")) {
      assertTrue(
          again.out().contains("[" + stage + "] cached"),
          stage + " cached on the re-run:\n" + again.out());
    }

    // The run directory moved elsewhere and the same spec run from another clone: fingerprints hold
    // contents,
    // not absolute paths, so every stage stays cached.
    Path clone = tmp.resolve("other-clone");
    Path repo = DemoCommand.demoSpec().getParent().getParent().getParent();
    for (String f :
        List.of(
            "launch/specs/demo.yaml",
            "testdata/latency/tiny-epyc-1t.csv",
            "testdata/multi30k/train.en",
            "testdata/multi30k/train.de",
            "testdata/multi30k/valid.en",
            "testdata/multi30k/valid.de",
            "testdata/multi30k/test.en",
            "testdata/multi30k/test.de")) {
      Files.createDirectories(clone.resolve(f).getParent());
      Files.copy(repo.resolve(f), clone.resolve(f));
    }
    Path moved = tmp.resolve("moved/demo");
    io.hatflow.core.run.AtomicFiles.copyTree(rd, moved);
    HatflowCliTest.Out elsewhere =
        reduced(
            "run",
            "--spec",
            clone.resolve("launch/specs/demo.yaml").toString(),
            "--run-dir",
            moved.toString());
    assertEquals(0, elsewhere.code(), elsewhere.err() + elsewhere.out());
    for (String stage :
        List.of("prepare", "train", "latency", "predictor", "search", "finalize", "report")) {
      assertTrue(
          elsewhere.out().contains("[" + stage + "] cached"),
          stage + " cached after the move:\n" + elsewhere.out());
    }

    // A target whose predictor was removed is refused before any search work starts.
    io.hatflow.core.run.AtomicFiles.deleteTree(rd.resolve("predictor/this-cpu"));
    HatflowCliTest.Out noPredictor =
        reduced(
            "search",
            "--spec",
            DemoCommand.demoSpec().toString(),
            "--run-dir",
            rd.toString(),
            "--force");
    assertEquals(1, noPredictor.code(), noPredictor.err());
    assertTrue(
        noPredictor
            .err()
            .contains(
                "predictor output "
                    + rd
                    + "/predictor/this-cpu is missing: it was"
                    + " removed after predictor finished"),
        noPredictor.err());

    // Re-running the per-target stages drops what a target the spec no longer names had left there.
    Files.writeString(rd.resolve("latency/dropped-target.csv"), "stale");
    Files.createDirectories(rd.resolve("predictor/dropped-target"));
    for (String stage : List.of("latency", "predictor")) {
      HatflowCliTest.Out rerun =
          reduced(
              "run",
              "--spec",
              DemoCommand.demoSpec().toString(),
              "--run-dir",
              rd.toString(),
              "--only",
              stage,
              "--force",
              stage);
      assertEquals(0, rerun.code(), rerun.err() + rerun.out());
    }
    assertTrue(
        !Files.exists(rd.resolve("latency/dropped-target.csv"))
            && !Files.exists(rd.resolve("predictor/dropped-target")));
    assertTrue(
        Files.exists(rd.resolve("latency/this-cpu.csv"))
            && Files.exists(rd.resolve("predictor/this-cpu")));
  }

  /** The demo scaled down to seconds. */
  static HatflowCliTest.Out demo(Path rd) {
    return reduced("demo", "--run-dir", rd.toString());
  }

  static HatflowCliTest.Out reduced(String... command) {
    List<String> args = new java.util.ArrayList<>(List.of(command));
    args.addAll(List.of(REDUCED));
    return HatflowCliTest.run(args.toArray(String[]::new));
  }

  static final String[] REDUCED = {
    "--set",
    "train.steps=20",
    "--set",
    "train.checkpoint_every=10",
    "--set",
    "targets[0].latency.measure.samples=24",
    "--set",
    "targets[0].latency.measure.runs=2",
    "--set",
    "search.population=8",
    "--set",
    "search.parents=3",
    "--set",
    "search.mutations=3",
    "--set",
    "search.crossovers=2",
    "--set",
    "search.generations=2",
    "--set",
    "search.valid_subset=50",
    "--set",
    "finalize.steps=4",
    "--set",
    "finalize.random_subnets=1"
  };
}
