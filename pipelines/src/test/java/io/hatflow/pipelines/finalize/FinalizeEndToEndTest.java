package io.hatflow.pipelines.finalize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.latency.LatencyRow;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.latency.Split;
import io.hatflow.core.search.HatJson;
import io.hatflow.core.search.SearchId;
import io.hatflow.core.space.Features;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.predictor.PredictorFit;
import io.hatflow.model.predictor.PredictorIO;
import io.hatflow.model.predictor.PredictorMeta;
import io.hatflow.pipelines.cli.Hatflow;
import io.hatflow.pipelines.report.ReportWriter;
import io.hatflow.schemas.Evaluation;
import io.hatflow.schemas.FinalResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * finalize and report on a tiny real run: prepare and train (20 steps) on 300 Multi30k pairs, two
 * winners written as the search would, then finalize (2 random controls) and report.
 */
class FinalizeEndToEndTest {
  @TempDir static Path tmp;
  static Path run;
  static Path spec;
  static final ObjectMapper JSON = new ObjectMapper();

  static Path testdata() {
    return io.hatflow.pipelines.prepare.TestData.dir();
  }

  @BeforeAll
  static void tinyRun() throws Exception {
    Path t = testdata().resolve("multi30k");
    spec = tmp.resolve("tiny.yaml");
    Files.writeString(
        spec,
        String.join(
            "\n",
            "version: 1",
            "name: tiny",
            "seed: 3",
            "data:",
            "  train: {src: " + t.resolve("valid.en") + ", tgt: " + t.resolve("valid.de") + "}",
            "  valid_size: 20",
            "  test_size: 15",
            "  vocab: {size: 300}",
            "  max_ratio: 3",
            "  shards: 1",
            "model: {space: tiny}",
            "train: {steps: 20, max_tokens: 1024, warmup_steps: 5, checkpoint_every: 10, threads: 1}",
            "targets:",
            "  - name: cpu-1t",
            "    latency: {measure: {samples: 5, runs: 4, warmup: 1, threads: 1}}",
            "    budgets_ms: [0.001, 1000]",
            "    engine: onnx-int8",
            "search: {valid_subset: 20}",
            "finalize: {steps: 6, random_subnets: 2, beam: 2, checkpoint_every: 3}",
            ""));
    run = tmp.resolve("run");
    assertEquals(
        0, Hatflow.execute("prepare", "--spec", spec.toString(), "--run-dir", run.toString()));
    assertEquals(
        0, Hatflow.execute("train", "--spec", spec.toString(), "--run-dir", run.toString()));
    writeWinners(run.resolve("search"));
    writeSearchExtras(run.resolve("search"));
    writePredictor(run);
  }

  /**
   * pareto.json, history.json, summary.json and one generation's evaluations, as the search writes
   * them.
   */
  static void writeSearchExtras(Path dir) throws Exception {
    SearchSpace space = SearchSpace.preset("tiny");
    Random rnd = new Random(5);
    List<Evaluation> evals = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      SubConfig c = space.sample(rnd).active();
      evals.add(
          new Evaluation(
              0,
              c.key(),
              HatJson.write(c),
              8.0 + rnd.nextDouble(),
              false,
              Map.of("cpu-1t", 5.0 + 20 * rnd.nextDouble())));
    }
    Path gen = dir.resolve("state/abc/gen-0000");
    Files.createDirectories(gen);
    try (DataFileWriter<Evaluation> w =
        new DataFileWriter<>(new SpecificDatumWriter<>(Evaluation.class))) {
      w.create(Evaluation.getClassSchema(), gen.resolve("evaluations.avro").toFile());
      for (Evaluation e : evals) {
        w.append(e);
      }
    }
    Files.writeString(
        dir.resolve("pareto.json"),
        "{\"cpu-1t\": [{\"config_key\": \"a\", \"fitness\": 8.1, "
            + "\"predicted_ms\": 6.0}, {\"config_key\": \"b\", \"fitness\": 8.05, \"predicted_ms\": 9.0}]}");
    Files.writeString(
        dir.resolve("history.json"),
        "[{\"generation\": 0, \"search\": \"cpu-1t-1000ms\", "
            + "\"best_fitness\": 8.2, \"hypervolume\": 0.5}, {\"generation\": 1, \"search\": \"cpu-1t-1000ms\", "
            + "\"best_fitness\": 8.0, \"hypervolume\": 0.6}]");
    Files.writeString(
        dir.resolve("summary.json"),
        "{\"warnings\": [\"cpu-1t-0.001ms: no feasible config found\"]}");
  }

  /** latency/cpu-1t.csv (synthetic, linear in the features) and a linear predictor fitted on it. */
  static void writePredictor(Path run) throws Exception {
    SearchSpace space = SearchSpace.preset("tiny");
    Random rnd = new Random(7);
    List<LatencyRow> rows = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      double[] f = Features.of(space.sample(rnd));
      rows.add(
          new LatencyRow(
              f, 2 + 0.02 * f[0] + rnd.nextDouble(), 5 + 4 * f[5] + rnd.nextDouble(), 0.1, 0.1));
    }
    Path csv = run.resolve("latency/cpu-1t.csv");
    Files.createDirectories(csv.getParent());
    LatencyCsv.write(csv, rows);
    LatencyTable table = LatencyCsv.read(csv);
    Split split = Split.seeded(table.size(), 1);
    Path pdir = run.resolve("predictor/cpu-1t");
    PredictorIO.save(
        pdir,
        PredictorFit.fit(table, split, "linear", 1),
        new PredictorMeta("tiny", "cpu-1t", "latency/cpu-1t.csv", "0".repeat(64)));
    Files.writeString(pdir.resolve("split.json"), split.toJson());
  }

  /** Two winners of the tiny space, in the search's winners.json shape. */
  static void writeWinners(Path dir) throws Exception {
    SearchSpace space = SearchSpace.preset("tiny");
    List<Map<String, Object>> ws = new ArrayList<>();
    double[] budgets = {0.001, 1000};
    SubConfig[] cs = {space.smallest(), space.largest()};
    for (int i = 0; i < 2; i++) {
      Map<String, Object> w = new LinkedHashMap<>();
      w.put("search", new SearchId("cpu-1t", budgets[i]).name());
      w.put("target", "cpu-1t");
      w.put("budget_ms", budgets[i]);
      w.put("config_key", cs[i].key());
      w.put("fitness", 9.0 - i);
      w.put("predicted_ms", Map.of("cpu-1t", 1.0 + i));
      w.put("config", cs[i].toHatMap());
      ws.add(w);
    }
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("winners.json"), JSON.writeValueAsString(Map.of("winners", ws)));
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

  @Test
  void finalizeTrainsScoresAndRanksAndReportRenders() throws Exception {
    Path early = ReportWriter.write(run, tmp.resolve("early-report"), null);
    String before = Files.readString(early);
    assertTrue(before.contains("finalize/results.avro"), "the report says finalize is missing");
    assertTrue(before.contains("pareto-cpu-1t.png"));

    assertEquals(
        0, Hatflow.execute("finalize", "--spec", spec.toString(), "--run-dir", run.toString()));
    Path fin = run.resolve("finalize");
    List<FinalResult> rs = FinalizeOutputs.read(fin);
    assertEquals(4, rs.size(), "2 winners + 2 random controls");
    assertEquals(
        List.of("cpu-1t-0.001ms", "cpu-1t-1000ms", "random-0", "random-1"),
        rs.stream().map(FinalResult::getName).toList());
    for (FinalResult r : rs) {
      assertTrue(
          Files.isRegularFile(
              fin.resolve("models").resolve(r.getName()).resolve("weights.ndlist")));
      assertTrue(r.getBleu() >= 0 && r.getBleu() <= 100, "BLEU " + r.getBleu());
      assertTrue(r.getInheritedLoss() > 0 && r.getTrainedLoss() > 0);
      if (r.getKind().equals("winner")) {
        assertTrue(r.getMeasuredMs().get("cpu-1t") > 0, "winners measured on the measured target");
      } else {
        assertTrue(r.getMeasuredMs().isEmpty(), "random controls are not timed");
      }
      assertTrue(r.getParams() > 0 && r.getFlops() > 0);
    }
    assertTrue(rs.get(0).getOverBudget(), "a 0.001 ms budget is exceeded");
    assertFalse(rs.get(1).getOverBudget(), "a 1000 ms budget is not");
    assertTrue(
        rs.get(0).getParams() < rs.get(1).getParams(), "smallest has fewer params than largest");
    JsonNode rank = JSON.readTree(fin.resolve("ranking.json").toFile());
    assertEquals(4, rank.path("models").asInt());
    double tau = rank.path("kendall_tau_inherited_vs_trained_loss").asDouble();
    assertTrue(tau >= -1 && tau <= 1, "tau " + tau);
    String csv = Files.readString(fin.resolve("results.csv"));
    assertEquals(5, csv.split("\n").length, csv);
    assertTrue(
        csv.startsWith(
            "name,kind,mode,target,budget_ms,config_key,params,flops,inherited_loss,trained_loss,kept_step,bleu,"));
    JsonNode manifest = JSON.readTree(run.resolve("manifest.json").toFile());
    assertEquals(
        4,
        manifest.path("stages").path("finalize").path("counts").path("models").asInt(),
        manifest.toString());

    // the winner's directory is what `hatflow translate --model` loads (vocabulary found via
    // prepare/vocab)
    Path in = tmp.resolve("in.txt");
    Files.writeString(in, "a man is walking .\n");
    assertEquals(0, Hatflow.execute("report", run.toString()));
    Path index = run.resolve("report/index.html");
    String html = Files.readString(index);
    for (String chart :
        List.of("pareto-cpu-1t", "convergence", "hypervolume", "predictor-cpu-1t", "ranking")) {
      assertTrue(html.contains("src=\"" + chart + ".png\""), chart);
      assertTrue(Files.size(run.resolve("report").resolve(chart + ".png")) > 1000, chart);
      assertTrue(
          Files.readString(run.resolve("report").resolve(chart + ".svg")).contains("<svg"), chart);
    }
    Matcher refs = Pattern.compile("(?:src|href)=\"([^\"]+)\"").matcher(html);
    while (refs.find()) {
      assertTrue(
          Files.exists(run.resolve("report").resolve(refs.group(1))),
          "dangling reference " + refs.group(1));
    }
    assertFalse(html.matches("(?s).*https?://.*"), "no network references");
    for (FinalResult r : rs) {
      assertTrue(html.contains("<td>" + r.getName() + "</td>"), "winners table row " + r.getName());
    }
    assertTrue(
        html.contains("measured") && html.contains("exceeds its 0.001 ms budget"),
        "over-budget warning");
    assertTrue(html.contains("no feasible config found"), "search warnings");
    assertFalse(html.contains("finalize/results.avro:"), "nothing about finalize missing now");
    assertTrue(
        rs.get(1).getPredictedMs().get("cpu-1t") > 0, "predicted with the target's predictor");

    assertEquals(
        0,
        Hatflow.execute(
            "translate",
            "--model",
            fin.resolve("models").resolve("cpu-1t-1000ms").toString(),
            "--input",
            in.toString()));

    // Deployment: every model exported; winners scored and timed on each engine, side by side in
    // the report.
    for (FinalResult r : rs) {
      Path export = run.resolve(r.getExportDir());
      for (String f :
          List.of(
              "encoder.onnx",
              "decoder_step.onnx",
              "encoder.int8.onnx",
              "decoder_step.int8.onnx",
              "export.json")) {
        assertTrue(Files.size(export.resolve(f)) > 0, export + "/" + f);
      }
      if (r.getKind().equals("winner")) {
        assertEquals(
            FinalizeOutputs.ENGINES,
            new ArrayList<>(new java.util.TreeSet<>(r.getEngineBleu().keySet())));
        assertEquals(r.getBleu(), r.getEngineBleu().get("djl"), 1e-9);
        assertEquals(
            r.getBleu(),
            r.getEngineBleu().get("onnx-fp32"),
            0.5,
            "fp32 export decodes as DJL does");
        for (String e : FinalizeOutputs.ENGINES) {
          assertTrue(r.getEngineMs().get(e) > 0, e + " timed on the winner's measured target");
        }
        assertEquals(
            r.getMeasuredMs().get("cpu-1t"),
            r.getEngineMs().get("onnx-int8"),
            "the target's latency is measured on its engine");
      } else {
        assertTrue(
            r.getEngineBleu().isEmpty() && r.getEngineMs().isEmpty(), "controls are exported only");
      }
    }
    assertTrue(
        html.contains("<h3>Deployment</h3>") && html.contains("ms onnx-int8"), "deployment table");
    assertTrue(
        csv.split("\n")[0].endsWith(
            ",bleu_djl,measured_ms_djl,bleu_onnx-fp32,measured_ms_onnx-fp32,"
                + "bleu_onnx-int8,measured_ms_onnx-int8,export_dir,update,updated_layers,updated_params"),
        csv);

    // hatflow export, then translate on ONNX Runtime: the same output as DJL's greedy decoding of
    // the model
    Path model = fin.resolve("models").resolve("cpu-1t-1000ms");
    Path out = tmp.resolve("exported");
    assertEquals(
        0,
        Hatflow.execute("export", "--model", model.toString(), "--out", out.toString(), "--int8"));
    assertEquals(
        2,
        Hatflow.execute("export", "--model", model.toString(), "--out", out.toString()),
        "an existing export is not replaced without --force");
    Files.writeString(
        in, "a man is walking .\ntwo dogs play in the snow .\na woman in a red shirt .\n");
    String djl =
        stdout("translate", "--model", model.toString(), "--input", in.toString(), "--beam", "1");
    String onnx =
        stdout("translate", "--model", out.toString(), "--input", in.toString(), "--beam", "1");
    assertEquals(3, djl.lines().count(), "one line per input (a 20-step model may say nothing)");
    assertEquals(djl, onnx);
    assertEquals(
        3,
        stdout("translate", "--model", out.toString(), "--input", in.toString(), "--int8")
            .lines()
            .count());
  }

  static String stdout(String... args) {
    java.io.PrintStream old = System.out;
    java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
    System.setOut(new java.io.PrintStream(o, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      assertEquals(0, Hatflow.execute(args));
    } finally {
      System.setOut(old);
    }
    return o.toString(java.nio.charset.StandardCharsets.UTF_8);
  }
}
