package io.hatflow.pipelines.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hatflow.core.run.Digests;
import io.hatflow.core.search.SearchId;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.spec.FrozenSpec;
import io.hatflow.core.spec.SpecLoader;
import io.hatflow.model.eval.FitnessEvaluator;
import io.hatflow.model.train.Batch;
import io.hatflow.model.train.Corpus;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import io.hatflow.pipelines.cli.Hatflow;
import io.hatflow.pipelines.finalize.Candidate;
import io.hatflow.pipelines.finalize.FinalizeOutputs;
import io.hatflow.schemas.FinalResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * finalize on a tiny real run (prepare + 20 training steps, two winners written as the search
 * would): a finalize killed with {@code kill -9} in the middle of its second winner continues (the
 * first is not trained again, the second resumes from its checkpoint) and ends with the
 * uninterrupted models bit for bit; and {@code mode: scratch} trains from random weights.
 */
class FinalizeResumeAndScratchTest {
  static final String W1 = new SearchId("cpu", 5.0).name();
  static final String W2 = new SearchId("cpu", 50.0).name();
  static final int STEPS = 40;

  @TempDir static Path tmp;
  static Path spec;
  static Path base;
  static Path ref;

  @BeforeAll
  static void trainedRunAndUninterruptedFinalize() throws Exception {
    Path t = io.hatflow.pipelines.prepare.TestData.dir();
    spec = tmp.resolve("fin.yaml");
    Files.writeString(
        spec,
        String.join(
            "\n",
            "version: 1",
            "name: fin",
            "seed: 5",
            "data:",
            "  train: {src: "
                + t.resolve("multi30k/valid.en")
                + ", tgt: "
                + t.resolve("multi30k/valid.de")
                + "}",
            "  valid_size: 20",
            "  test_size: 8",
            "  vocab: {size: 300}",
            "  max_ratio: 3",
            "  shards: 1",
            "model: {space: tiny}",
            "train: {steps: 20, max_tokens: 600, warmup_steps: 5, checkpoint_every: 10, threads: 1}",
            "targets:",
            "  - name: cpu",
            "    latency: {dataset: "
                + t.resolve("latency/tiny-epyc-1t.csv")
                + "}", // not timed: finalize stays short
            "    budgets_ms: [5, 50]",
            "search: {valid_subset: 20}",
            "finalize: {steps: " + STEPS + ", random_subnets: 0, beam: 1, checkpoint_every: 4}",
            ""));
    base = tmp.resolve("base");
    assertEquals(
        0,
        Hatflow.execute(
            "run", "--spec", spec.toString(), "--run-dir", base.toString(), "--only", "prepare"));
    assertEquals(
        0,
        Hatflow.execute(
            "run", "--spec", spec.toString(), "--run-dir", base.toString(), "--only", "train"));
    SearchSpace space = SearchSpace.preset("tiny");
    writeWinners(
        base.resolve("search"),
        List.of(space.smallest(), space.sample(new java.util.Random(2)).active()));
    ref = copy(base, tmp.resolve("ref"));
    assertEquals(
        0, Hatflow.execute("finalize", "--spec", spec.toString(), "--run-dir", ref.toString()));
  }

  static void writeWinners(Path dir, List<SubConfig> cs) throws Exception {
    List<Map<String, Object>> ws = new ArrayList<>();
    double[] budgets = {5, 50};
    for (int i = 0; i < cs.size(); i++) {
      Map<String, Object> w = new LinkedHashMap<>();
      w.put("search", new SearchId("cpu", budgets[i]).name());
      w.put("target", "cpu");
      w.put("budget_ms", budgets[i]);
      w.put("config_key", cs.get(i).key());
      w.put("config", cs.get(i).toHatMap());
      ws.add(w);
    }
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("winners.json"), new ObjectMapper().writeValueAsString(Map.of("winners", ws)));
    // recorded as a finished search's output: finalize consumes only finished, recorded upstream
    // outputs
    io.hatflow.core.run.Manifest m = io.hatflow.core.run.Manifest.load(dir.getParent());
    m.stageStarted("search", null);
    m.stageFinished(
        "search",
        0,
        io.hatflow.core.run.StageRecord.Recorded.outputs(
            Map.of(
                "winners.json",
                io.hatflow.core.run.Artifact.of(dir.resolve("winners.json"), dir.getParent()))));
  }

  static Path copy(Path from, Path to) {
    io.hatflow.core.run.AtomicFiles.copyTree(from, to);
    return to;
  }

  static String weights(Path run, String model) {
    return Digests.sha256(run.resolve("finalize/models").resolve(model).resolve("weights.ndlist"));
  }

  static String captured(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, Hatflow.execute(args));
    } finally {
      System.setOut(old);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** finalize/work/NAME-KEY: the one work directory of a model (keyed by the stage fingerprint). */
  static Path workDir(Path run, String name) throws java.io.IOException {
    try (var dirs = Files.list(run.resolve("finalize/work"))) {
      List<Path> found =
          dirs.filter(d -> d.getFileName().toString().startsWith(name + "-")).toList();
      assertEquals(1, found.size(), "work directories of " + name + ": " + found);
      return found.get(0);
    }
  }

  @Test
  void killedFinalizeKeepsFinishedWinnersResumesTheCurrentOneAndEndsAsUninterrupted()
      throws Exception {
    Path run = copy(base, tmp.resolve("killed"));
    Path log = tmp.resolve("killed.log");
    // killed while the second winner trains, after at least one of its checkpoints
    ResumeAfterKillTest.runAndKill(
        List.of("finalize", "--spec", spec.toString(), "--run-dir", run.toString()),
        out ->
            out.matches(
                "(?s).*\\[finalize\\] " + Pattern.quote(W2) + " step (8|16)/" + STEPS + " .*"),
        log);
    Path w1Log = workDir(run, W1).resolve("train.log");
    String w1Before = Files.readString(w1Log);
    assertTrue(w1Before.contains("done:"), "the first winner had finished before the kill");
    assertFalse(
        Files.readString(log).contains(W2 + ": inherited loss"),
        "the second winner had not finished");

    String resumed = captured("finalize", "--spec", spec.toString(), "--run-dir", run.toString());
    assertTrue(resumed.contains("[finalize] " + W1 + ": finished before, kept"), resumed);
    assertEquals(w1Before, Files.readString(w1Log), "the first winner was not trained again");
    Matcher m =
        Pattern.compile("resumed from step (\\d+) ")
            .matcher(Files.readString(workDir(run, W2).resolve("train.log")));
    assertTrue(
        m.find() && Integer.parseInt(m.group(1)) > 0 && Integer.parseInt(m.group(1)) < STEPS,
        "the second winner continued from a mid-way checkpoint");
    assertFalse(
        resumed.contains(W2 + " step 8/"),
        "the second winner did not start again from step 0:\n" + resumed);

    List<FinalResult> a = FinalizeOutputs.read(ref.resolve("finalize"));
    List<FinalResult> b = FinalizeOutputs.read(run.resolve("finalize"));
    assertEquals(List.of(W1, W2), b.stream().map(FinalResult::getName).toList());
    for (int i = 0; i < a.size(); i++) {
      String name = a.get(i).getName();
      assertEquals(
          weights(ref, name),
          weights(run, name),
          name + ": same model bytes as the uninterrupted finalize");
      assertEquals(a.get(i).getTrainedLoss(), b.get(i).getTrainedLoss(), name);
      assertEquals(a.get(i).getBleu(), b.get(i).getBleu(), name);
      assertEquals(a.get(i).getInheritedLoss(), b.get(i).getInheritedLoss(), name);
    }
    assertEquals(
        Files.readString(ref.resolve("finalize/results.csv")),
        Files.readString(run.resolve("finalize/results.csv")));
    try (Stream<Path> left = Files.list(run.resolve("finalize/models"))) {
      assertEquals(
          List.of(W1, W2).stream().sorted().toList(),
          left.map(p -> p.getFileName().toString()).sorted().toList(),
          "no half-written model directories left");
    }
  }

  @Test
  void inheritStartsFromTheInheritedWeightsAlsoForNarrowerWinners() throws Exception {
    // at a learning rate of 1e-9 training leaves the weights where they started: the trained model
    // must score
    // what the SuperTransformer's slice scored (the smallest winner is narrower than the
    // SuperTransformer)
    // (over a finished finalize with other settings, whose work must not linger beside the new)
    Path run = copy(ref, tmp.resolve("still"));
    assertEquals(
        0,
        Hatflow.execute(
            "finalize",
            "--spec",
            spec.toString(),
            "--run-dir",
            run.toString(),
            "--set",
            "finalize.lr=1e-9",
            "--set",
            "finalize.steps=4",
            "--force"));
    for (FinalResult r : FinalizeOutputs.read(run.resolve("finalize"))) {
      assertEquals("inherit", r.getMode());
      assertEquals(
          r.getInheritedLoss(), r.getTrainedLoss(), 1e-3, r.getName() + " " + r.getConfigKey());
      assertFalse(
          workDir(ref, r.getName()).getFileName().equals(workDir(run, r.getName()).getFileName()),
          "the earlier settings' work directory was dropped, one for the new settings made");
    }
  }

  @Test
  void scratchTrainsFromRandomWeightsAndGivesATranslatableModel() throws Exception {
    // at a learning rate of 1e-9 training leaves the weights where they started: random ones for
    // scratch
    Path run = copy(base, tmp.resolve("scratch"));
    assertEquals(
        0,
        Hatflow.execute(
            "finalize",
            "--spec",
            spec.toString(),
            "--run-dir",
            run.toString(),
            "--set",
            "finalize.mode=scratch",
            "--set",
            "finalize.lr=1e-9",
            "--set",
            "finalize.steps=4",
            "--force"));
    List<FinalResult> rs = FinalizeOutputs.read(run.resolve("finalize"));
    List<FinalResult> inherit = FinalizeOutputs.read(ref.resolve("finalize"));
    assertEquals(2, rs.size());
    FrozenSpec fs = SpecLoader.load(spec, List.of());
    int qkv = SearchSpace.preset("tiny").qkvDim();
    List<Batch> valid =
        Corpus.batches(Corpus.subset(Corpus.read(run.resolve("prepare"), "valid"), 20), 600);
    for (int i = 0; i < rs.size(); i++) {
      FinalResult r = rs.get(i);
      assertEquals("scratch", r.getMode());
      assertEquals("inherit", inherit.get(i).getMode());
      SubConfig c = io.hatflow.core.search.HatJson.read(r.getConfig());
      double untrained;
      try (NDManager nm = NDManager.newBaseManager();
          SuperTransformer fresh =
              SuperTransformer.create(
                  nm,
                  Candidate.shapeSpace(c, qkv).largest(),
                  qkv,
                  TrainStage.vocabSize(PrepareStage.Outputs.at(run)),
                  new Dropouts(0.1f, 0.1f, 0.1f),
                  fs.spec().seed())) {
        untrained =
            new FitnessEvaluator(fresh, 1, fs.spec().train().labelSmoothing()).validLoss(c, valid);
      }
      assertEquals(
          untrained,
          r.getTrainedLoss(),
          1e-3,
          r.getName() + ": starts from an untrained model's loss");
      assertTrue(
          untrained - r.getInheritedLoss() > 0.2,
          r.getName()
              + ": an untrained model ("
              + untrained
              + ") is worse than the inherited weights ("
              + r.getInheritedLoss()
              + ")");
      assertNotEquals(
          weights(ref, r.getName()), weights(run, r.getName()), "scratch and inherit differ");
    }
    assertTrue(
        Files.readString(run.resolve("finalize/results.csv")).contains(",winner,scratch,cpu,"));
    assertTrue(
        Files.readString(run.resolve("finalize/results.json")).contains("\"mode\" : \"scratch\""));
    Path in = tmp.resolve("in.txt");
    Files.writeString(in, "a man is walking .\n");
    String out =
        captured(
            "translate",
            "--model",
            run.resolve("finalize/models").resolve(W2).toString(),
            "--input",
            in.toString());
    assertEquals(
        1, out.lines().count(), "translate loads the scratch model and writes one line:\n" + out);
  }

  /**
   * finalize.update: a last_k wider than a winner fails before training (exit 2, naming the key);
   * auto probes each winner's layers, picks within the budget, records it, and leaves every other
   * weight exactly as inherited.
   */
  @Test
  void sparseFineTuningUpdatesOnlyWhatItPicked() throws Exception {
    Path run = copy(base, tmp.resolve("sparse"));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      // W1 is the tiny space's smallest model: 3 encoder + 1 decoder layers; the space allows 6
      assertEquals(
          2,
          Hatflow.execute(
              "finalize",
              "--spec",
              spec.toString(),
              "--run-dir",
              run.toString(),
              "--set",
              "finalize.update=last_k",
              "--set",
              "finalize.update_layers=5",
              "--force"));
    } finally {
      System.setErr(old);
    }
    assertTrue(
        err.toString(StandardCharsets.UTF_8)
            .contains(
                "finalize.update_layers: 5 is above the layer count of "
                    + W1
                    + " (3 encoder + 1 decoder = 4 layers)"),
        err.toString(StandardCharsets.UTF_8));

    double budget = 0.5;
    assertEquals(
        0,
        Hatflow.execute(
            "finalize",
            "--spec",
            spec.toString(),
            "--run-dir",
            run.toString(),
            "--set",
            "finalize.update=auto",
            "--set",
            "finalize.update_budget=" + budget,
            "--set",
            "finalize.steps=6",
            "--set",
            "finalize.export=false",
            "--force"));
    List<FinalResult> rs = FinalizeOutputs.read(run.resolve("finalize"));
    List<FinalResult> all = FinalizeOutputs.read(ref.resolve("finalize"));
    for (int i = 0; i < rs.size(); i++) {
      FinalResult r = rs.get(i);
      SubConfig c = io.hatflow.core.search.HatJson.read(r.getConfig());
      assertEquals("all", all.get(i).getUpdate());
      assertEquals("auto", r.getUpdate());
      assertEquals(budget, r.getUpdateBudget());
      List<String> layers = new ArrayList<>(io.hatflow.model.train.Trainable.layers(c));
      layers.add("all");
      assertEquals(
          layers,
          r.getUpdateProbe().stream().map(x -> x.getLayer()).toList(),
          "every layer probed, then all");
      List<io.hatflow.model.train.Trainable.Probe> rows =
          r.getUpdateProbe().stream()
              .filter(x -> !x.getLayer().equals("all"))
              .map(
                  x ->
                      new io.hatflow.model.train.Trainable.Probe(
                          x.getLayer(), x.getLossGain(), x.getBackwardMs(), x.getPathMs()))
              .toList();
      assertTrue(rows.stream().allMatch(x -> x.pathMs() > 0), "path times measured: " + rows);
      double full = r.getUpdateProbe().get(r.getUpdateProbe().size() - 1).getBackwardMs();
      List<String> picked =
          r.getUpdateProbe().stream().filter(x -> x.getPicked()).map(x -> x.getLayer()).toList();
      assertEquals(picked, r.getUpdatedLayers());
      assertEquals(io.hatflow.model.train.Trainable.pick(rows, full, budget), picked);
      assertTrue(
          io.hatflow.model.train.Trainable.estimatedMs(rows, picked) <= budget * full, r.getName());
      // the weights outside the picked layers are the inherited ones, bit for bit (as finalize
      // writes a model)
      Path inheritedDir = tmp.resolve("inherited-" + r.getName());
      try (var supernet =
          io.hatflow.model.train.SuperTransformerCheckpoint.load(
              TrainStage.Outputs.at(run).checkpoint())) {
        io.hatflow.model.extract.SubTransformerModel.write(
            supernet.model(), c, supernet.digest(), inheritedDir);
      }
      try (NDManager nm = NDManager.newBaseManager();
          var inheritedModel = io.hatflow.model.extract.SubTransformerModel.load(inheritedDir, nm);
          var kept =
              io.hatflow.model.extract.SubTransformerModel.load(
                  run.resolve("finalize/models").resolve(r.getName()), nm)) {
        SuperTransformer inherited = inheritedModel.model();
        io.hatflow.model.train.Trainable t = io.hatflow.model.train.Trainable.picked(picked);
        int moved = 0;
        for (var e : kept.model().weights().all().entrySet()) {
          boolean same =
              java.util.Arrays.equals(
                  e.getValue().toFloatArray(), inherited.weights().get(e.getKey()).toFloatArray());
          assertTrue(
              same || t.test(e.getKey()), r.getName() + ": frozen " + e.getKey() + " changed");
          moved += same ? 0 : 1;
        }
        assertEquals(r.getKeptStep() > 0, moved > 0, r.getName() + " kept step " + r.getKeptStep());
      }
      if (!picked.isEmpty()) {
        assertTrue(
            r.getUpdatedParams() > 0 && r.getUpdatedParams() < all.get(i).getUpdatedParams(),
            r.getName());
      }
    }
    String json = Files.readString(run.resolve("finalize/results.json"));
    assertTrue(json.contains("\"update\" : \"auto\"") && json.contains("\"update_probe\""), json);
    assertTrue(
        Files.readString(run.resolve("finalize/results.csv"))
            .lines()
            .findFirst()
            .orElseThrow()
            .endsWith(",export_dir,update,updated_layers,updated_params"));
    // what each training cost: in the manifest's training record (all in the reference run, auto
    // here)
    for (Path r : List.of(ref, run)) {
      var costs =
          new ObjectMapper()
              .readTree(r.resolve("manifest.json").toFile())
              .path("stages")
              .path("finalize")
              .path("training")
              .path("costs");
      for (String w : List.of(W1, W2)) {
        assertEquals(
            r == ref ? "all" : "auto",
            costs.path(w).path("update").asText(),
            r + " " + w + ": " + costs);
        if (costs.path(w).path("updated_params").asLong() > 0) {
          assertTrue(
              costs.path(w).path("step_ms").asDouble()
                      > costs.path(w).path("backward_ms").asDouble()
                  && costs.path(w).path("backward_ms").asDouble() > 0
                  && costs.path(w).path("peak_rss_mb").asDouble() > 0,
              costs.toString());
        }
      }
    }
    String html =
        Files.readString(
            io.hatflow.pipelines.report.ReportWriter.write(
                run, tmp.resolve("sparse-report"), null));
    assertTrue(
        html.contains("Sparse fine-tuning (finalize.update <b>auto</b>, budget 0.50"),
        "report table");
  }
}
