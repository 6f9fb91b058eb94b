package io.hatflow.pipelines.finalize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hatflow.core.search.SearchId;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.pipelines.cli.Hatflow;
import io.hatflow.schemas.FinalResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * finalize and report on a tiny real run: prepare and train (20 steps) on 300 Multi30k pairs, two winners
 * written as the search would, then finalize (2 random controls) and report.
 */
class FinalizeEndToEndTest {
  @TempDir
  static Path tmp;
  static Path run;
  static Path spec;
  static final ObjectMapper JSON = new ObjectMapper();

  static Path testdata() {
    for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("testdata"))) {
        return p.resolve("testdata");
      }
    }
    throw new IllegalStateException("no testdata/");
  }

  @BeforeAll
  static void tinyRun() throws Exception {
    Path t = testdata().resolve("multi30k");
    spec = tmp.resolve("tiny.yaml");
    Files.writeString(spec, String.join("\n",
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
        "search: {valid_subset: 20}",
        "finalize: {steps: 6, random_subnets: 2, beam: 2, checkpoint_every: 3}",
        ""));
    run = tmp.resolve("run");
    assertEquals(0, Hatflow.execute("prepare", "--spec", spec.toString(), "--run-dir", run.toString()));
    assertEquals(0, Hatflow.execute("train", "--spec", spec.toString(), "--run-dir", run.toString()));
    writeWinners(run.resolve("search"));
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
  }

  @Test
  void finalizeTrainsScoresAndRanks() throws Exception {
    assertEquals(0, Hatflow.execute("finalize", "--spec", spec.toString(), "--run-dir", run.toString()));
    Path fin = run.resolve("finalize");
    List<FinalResult> rs = FinalizeOutputs.read(fin);
    assertEquals(4, rs.size(), "2 winners + 2 random controls");
    assertEquals(List.of("cpu-1t-0.001ms", "cpu-1t-1000ms", "random-0", "random-1"),
        rs.stream().map(FinalResult::getName).toList());
    for (FinalResult r : rs) {
      assertTrue(Files.isRegularFile(fin.resolve("models").resolve(r.getName()).resolve("weights.ndlist")));
      assertTrue(r.getBleu() >= 0 && r.getBleu() <= 100, "BLEU " + r.getBleu());
      assertTrue(r.getInheritedLoss() > 0 && r.getTrainedLoss() > 0);
      assertTrue(r.getMeasuredMs().get("cpu-1t") > 0, "measured on the measured target");
      assertTrue(r.getParams() > 0 && r.getFlops() > 0);
    }
    assertTrue(rs.get(0).getOverBudget(), "a 0.001 ms budget is exceeded");
    assertFalse(rs.get(1).getOverBudget(), "a 1000 ms budget is not");
    assertTrue(rs.get(0).getParams() < rs.get(1).getParams(), "smallest has fewer params than largest");
    JsonNode rank = JSON.readTree(fin.resolve("ranking.json").toFile());
    assertEquals(4, rank.path("models").asInt());
    double tau = rank.path("kendall_tau_inherited_vs_trained_loss").asDouble();
    assertTrue(tau >= -1 && tau <= 1, "tau " + tau);
    String csv = Files.readString(fin.resolve("results.csv"));
    assertEquals(5, csv.split("\n").length, csv);
    assertTrue(csv.startsWith("name,kind,target,budget_ms,config_key,params,flops,inherited_loss,trained_loss,bleu,"));
    JsonNode manifest = JSON.readTree(run.resolve("manifest.json").toFile());
    assertEquals(4, manifest.path("stages").path("finalize").path("counts").path("models").asInt(), manifest.toString());

    // the winner's directory is what `hatflow translate --model` loads (vocabulary found via prepare/vocab)
    Path in = tmp.resolve("in.txt");
    Files.writeString(in, "a man is walking .\n");
    assertEquals(0, Hatflow.execute("translate", "--model", fin.resolve("models").resolve("cpu-1t-1000ms").toString(),
        "--input", in.toString()));
  }
}
