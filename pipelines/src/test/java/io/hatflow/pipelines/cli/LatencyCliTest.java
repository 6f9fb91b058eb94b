package io.hatflow.pipelines.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.pipelines.cli.HatflowCliTest.Out;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** latency import|measure and predictor fit|eval as a user runs them. */
class LatencyCliTest {
  @TempDir Path tmp;

  static Path csv() {
    return HatflowCliTest.testdata().resolve("latency/wmt14ende_cpu_xeon_all.csv");
  }

  static Path split() {
    return HatflowCliTest.testdata().resolve("latency/wmt14ende_cpu_xeon_seed0_split.json");
  }

  static String lastLine(String s) {
    String[] lines = s.strip().split("\n");
    return lines[lines.length - 1];
  }

  private Path badCsv(String name, int line, String replace, String with) throws Exception {
    List<String> lines = Files.readAllLines(csv()).subList(0, 6);
    lines = new java.util.ArrayList<>(lines);
    lines.set(
        line - 1,
        replace.isEmpty()
            ? with + lines.get(line - 1)
            : lines.get(line - 1).replace(replace, with));
    Path f = tmp.resolve(name);
    Files.write(f, lines);
    return f;
  }

  @Test
  void importValidatesAndCopies() throws Exception {
    Out ok = HatflowCliTest.run("latency", "import", "--csv", csv().toString(), "--target", "xeon");
    assertEquals(0, ok.code(), ok.err());
    assertTrue(ok.out().contains("2000 rows"), ok.out());
    Path rd = tmp.resolve("run");
    Out copied =
        HatflowCliTest.run(
            "latency",
            "import",
            "--csv",
            csv().toString(),
            "--target",
            "xeon",
            "--run-dir",
            rd.toString());
    assertEquals(0, copied.code(), copied.err());
    assertArrayEquals(
        Files.readAllBytes(csv()), Files.readAllBytes(rd.resolve("latency/xeon.csv")));
  }

  @Test
  void badImportsExitTwoNamingLineAndColumn() throws Exception {
    Path rd = tmp.resolve("run");
    Out nan =
        HatflowCliTest.run(
            "latency",
            "import",
            "--csv",
            badCsv("nan.csv", 3, "8.712291717529297", "fast").toString(),
            "--target",
            "x",
            "--run-dir",
            rd.toString());
    assertEquals(2, nan.code(), nan.err());
    assertTrue(
        nan.err().contains("nan.csv:3: column 'latency_mean_encoder': not a number: \"fast\""),
        nan.err());
    assertFalse(Files.exists(rd.resolve("latency/x.csv")), "nothing is written for a bad dataset");

    Out header =
        HatflowCliTest.run(
            "latency",
            "import",
            "--csv",
            badCsv("hdr.csv", 1, "decoder_layer_num", "dec_layers").toString(),
            "--target",
            "x");
    assertEquals(2, header.code());
    assertTrue(
        header
            .err()
            .contains(
                "hdr.csv:1: not HAT's latency header: column 6 is 'dec_layers', expected 'decoder_layer_num'"),
        header.err());

    Out negative =
        HatflowCliTest.run(
            "latency",
            "import",
            "--csv",
            badCsv("neg.csv", 4, "", "-").toString(),
            "--target",
            "x");
    assertEquals(2, negative.code());
    assertTrue(
        negative.err().contains("neg.csv:4: column 'encoder_embed_dim': must be non-negative"),
        negative.err());

    Out missing =
        HatflowCliTest.run(
            "latency", "import", "--csv", tmp.resolve("none.csv").toString(), "--target", "x");
    assertEquals(2, missing.code());
    assertTrue(
        missing.err().contains("--csv: no such file: " + tmp.resolve("none.csv")), missing.err());
    assertEquals(
        2,
        HatflowCliTest.run("latency", "import", "--csv", csv().toString(), "--target", "../x")
            .code());
    assertEquals(
        2,
        HatflowCliTest.run("latency", "import", "--csv", csv().toString()).code(),
        "--target is required");
  }

  @Test
  void predictorFitAndEvalPrintOneJsonObjectLast() throws Exception {
    Path out = tmp.resolve("pred");
    Out fit =
        HatflowCliTest.run(
            "predictor",
            "fit",
            "--latency",
            csv().toString(),
            "--out",
            out.toString(),
            "--split",
            split().toString(),
            "--model",
            "linear",
            "--seed",
            "0");
    assertEquals(0, fit.code(), fit.err());
    assertTrue(Files.exists(out.resolve("predictor.json")));
    Out eval =
        HatflowCliTest.run(
            "predictor",
            "eval",
            "--predictor",
            out.toString(),
            "--latency",
            csv().toString(),
            "--split",
            split().toString(),
            "--json");
    assertEquals(0, eval.code(), eval.err());
    JsonNode m = new ObjectMapper().readTree(lastLine(eval.out()));
    assertEquals(
        List.of("n", "rmse_ms", "mapd_pct", "within_5_pct", "within_10_pct", "r2", "kendall_tau"),
        com.google.common.collect.ImmutableList.copyOf(m.fieldNames()));
    assertEquals(200, m.path("n").asInt());
    assertTrue(m.path("kendall_tau").asDouble() > 0.8, m.toString());
    // without --split: the seeded 80/10/10 shuffle of 2000 rows leaves 200 test rows
    Out seeded =
        HatflowCliTest.run(
            "predictor", "eval", "--predictor", out.toString(), "--latency", csv().toString());
    assertEquals(0, seeded.code(), seeded.err());
    assertEquals(200, new ObjectMapper().readTree(lastLine(seeded.out())).path("n").asInt());

    Out badModel =
        HatflowCliTest.run(
            "predictor",
            "fit",
            "--latency",
            csv().toString(),
            "--out",
            out.toString(),
            "--model",
            "forest");
    assertEquals(2, badModel.code());
    assertTrue(badModel.err().contains("unknown predictor \"forest\""), badModel.err());
    Out notDir =
        HatflowCliTest.run(
            "predictor", "eval", "--predictor", tmp.toString(), "--latency", csv().toString());
    assertEquals(2, notDir.code());
  }

  /**
   * HAT's Xeon set as another device: encoder 2x, decoder 1.5x plus 10 ms (the sets' own rows,
   * rescaled).
   */
  private Path otherDevice() throws Exception {
    List<String> lines = Files.readAllLines(csv());
    List<String> out = new java.util.ArrayList<>(List.of(lines.get(0)));
    for (String l : lines.subList(1, lines.size())) {
      String[] c = l.split(",");
      c[10] = String.valueOf(2 * Double.parseDouble(c[10]));
      c[11] = String.valueOf(1.5 * Double.parseDouble(c[11]) + 10);
      out.add(String.join(",", c));
    }
    Path f = tmp.resolve("other-device.csv");
    Files.write(f, out);
    return f;
  }

  @Test
  void predictorFitByTransferFromOtherDevices() throws Exception {
    Path dev = otherDevice();
    Path out = tmp.resolve("tp");
    Out fit =
        HatflowCliTest.run(
            "predictor",
            "fit",
            "--latency",
            dev.toString(),
            "--split",
            split().toString(),
            "--transfer-from",
            csv().toString(),
            "--max-rows",
            "20",
            "--out",
            out.toString(),
            "--target",
            "new",
            "--json");
    assertEquals(0, fit.code(), fit.err());
    assertTrue(fit.out().contains("transfer fitted on 20 rows"), fit.out());
    JsonNode doc = new ObjectMapper().readTree(out.resolve("predictor.json").toFile());
    assertEquals("transfer", doc.path("model").asText());
    assertEquals(20, doc.path("transfer").path("rows").asInt());
    assertEquals(
        io.hatflow.core.run.Digests.sha256(csv()),
        doc.path("transfer").path("source_sha256").get(0).asText());
    assertFalse(
        doc.path("transfer").toString().contains(csv().toString()), "sources by content, not path");

    // --max-rows alone: the default fitted on the first K training rows; the transfer does better
    // on them.
    Out few =
        HatflowCliTest.run(
            "predictor",
            "fit",
            "--latency",
            dev.toString(),
            "--split",
            split().toString(),
            "--max-rows",
            "20",
            "--out",
            tmp.resolve("few").toString(),
            "--json");
    assertEquals(0, few.code(), few.err());
    assertTrue(few.out().contains("fitted on 20 rows"), few.out());
    double transfer = new ObjectMapper().readTree(lastLine(fit.out())).path("mapd_pct").asDouble();
    double alone = new ObjectMapper().readTree(lastLine(few.out())).path("mapd_pct").asDouble();
    assertTrue(transfer < alone, transfer + " vs " + alone);
  }

  @Test
  void badTransferInputExitsTwoNamingTheFile() throws Exception {
    Path dev = otherDevice();
    String out = tmp.resolve("tp").toString();
    Path tiny = HatflowCliTest.testdata().resolve("latency/tiny-epyc-1t.csv");
    Out space =
        HatflowCliTest.run(
            "predictor",
            "fit",
            "--latency",
            dev.toString(),
            "--transfer-from",
            csv() + "," + tiny,
            "--max-rows",
            "20",
            "--out",
            out);
    assertEquals(2, space.code(), space.err());
    assertTrue(
        space
            .err()
            .contains(
                tiny
                    + " (--transfer-from): line 2: encoder_embed_dim is 128, outside search"
                    + " space"),
        space.err());
    Path cols = badCsv("cols.csv", 1, "decoder_layer_num", "dec_layers");
    Out columns =
        HatflowCliTest.run(
            "predictor",
            "fit",
            "--latency",
            dev.toString(),
            "--transfer-from",
            cols.toString(),
            "--max-rows",
            "20",
            "--out",
            out);
    assertEquals(2, columns.code(), columns.err());
    assertTrue(
        columns.err().contains("cols.csv:1: not HAT's latency header: column 6 is 'dec_layers'"),
        columns.err());
    Out many =
        HatflowCliTest.run(
            "predictor",
            "fit",
            "--latency",
            dev.toString(),
            "--split",
            split().toString(),
            "--transfer-from",
            csv().toString(),
            "--max-rows",
            "1601",
            "--out",
            out);
    assertEquals(2, many.code(), many.err());
    assertTrue(
        many.err()
            .contains(
                "--max-rows 1601: more rows than available: the training part of "
                    + split()
                    + " has 1600"),
        many.err());
    assertFalse(Files.exists(tmp.resolve("tp")), "nothing is written for bad input");
  }

  @Test
  void aTargetWithTransferFromMeasuresOnlyItsTransferRows() throws Exception {
    Path t = HatflowCliTest.testdata().resolve("multi30k");
    Path tiny = HatflowCliTest.testdata().resolve("latency/tiny-epyc-1t.csv");
    Path s = tmp.resolve("tr.yaml");
    String spec =
        String.join(
            "\n",
            "version: 1",
            "name: tr",
            "data:",
            "  train: {src: " + t.resolve("valid.en") + ", tgt: " + t.resolve("valid.de") + "}",
            "  vocab: {size: 256}",
            "targets:",
            "  - name: here",
            "    latency: {measure: {runs: 2, warmup: 1, src_tokens: 6, beam: 2, space: tiny}, transfer_from: [SRC],"
                + " transfer_rows: 6}",
            "    budgets_ms: [10]",
            "");
    Files.writeString(s, spec.replace("SRC", tiny.toString()));
    Path rd = tmp.resolve("run");
    Out lat =
        HatflowCliTest.run(
            "run", "--spec", s.toString(), "--run-dir", rd.toString(), "--only", "latency");
    assertEquals(0, lat.code(), lat.err());
    assertEquals(6, LatencyCsv.read(rd.resolve("latency/here.csv")).size());
    Out pred =
        HatflowCliTest.run(
            "run", "--spec", s.toString(), "--run-dir", rd.toString(), "--only", "predictor");
    assertEquals(0, pred.code(), pred.err());
    JsonNode doc =
        new ObjectMapper().readTree(rd.resolve("predictor/here/predictor.json").toFile());
    assertEquals("transfer", doc.path("model").asText());
    assertEquals(6, doc.path("transfer").path("rows").asInt());
    assertEquals(
        io.hatflow.core.run.Digests.sha256(tiny),
        doc.path("transfer").path("source_sha256").get(0).asText());
    JsonNode m = new ObjectMapper().readTree(rd.resolve("manifest.json").toFile());
    assertEquals(
        "transfer",
        m.path("stages").path("predictor").path("counts").path("here").path("model").asText());
    assertEquals(
        6, m.path("stages").path("predictor").path("counts").path("here").path("test_n").asInt());

    // A source of another space: the predictor stage names it (exit 2).
    Files.writeString(s, spec.replace("SRC", csv().toString()));
    Path rd2 = tmp.resolve("run2");
    assertEquals(
        0,
        HatflowCliTest.run(
                "run", "--spec", s.toString(), "--run-dir", rd2.toString(), "--only", "latency")
            .code());
    Out bad =
        HatflowCliTest.run(
            "run", "--spec", s.toString(), "--run-dir", rd2.toString(), "--only", "predictor");
    assertEquals(2, bad.code(), bad.err());
    assertTrue(
        bad.err()
            .contains(
                csv()
                    + " (targets.here.latency.transfer_from[0]): line 2: encoder_embed_dim is"
                    + " 640, outside search space"),
        bad.err());
  }

  @Test
  void runLatencyAndPredictorStagesOnAnImportedTarget() throws Exception {
    Path t = HatflowCliTest.testdata().resolve("multi30k");
    Path s = tmp.resolve("lat.yaml");
    Files.writeString(
        s,
        String.join(
            "\n",
            "version: 1",
            "name: lat",
            "data:",
            "  train: {src: " + t.resolve("valid.en") + ", tgt: " + t.resolve("valid.de") + "}",
            "targets:",
            "  - name: xeon",
            "    latency: {dataset: " + csv() + "}",
            "    budgets_ms: [100]",
            "    predictor: {model: linear, seed: 3}",
            ""));
    Path rd = tmp.resolve("run");
    Out lat =
        HatflowCliTest.run(
            "run", "--spec", s.toString(), "--run-dir", rd.toString(), "--only", "latency");
    assertEquals(0, lat.code(), lat.err());
    assertEquals(2000, LatencyCsv.read(rd.resolve("latency/xeon.csv")).size());
    Out pred =
        HatflowCliTest.run(
            "run", "--spec", s.toString(), "--run-dir", rd.toString(), "--only", "predictor");
    assertEquals(0, pred.code(), pred.err());
    JsonNode m = new ObjectMapper().readTree(rd.resolve("manifest.json").toFile());
    assertEquals(
        64,
        m.path("stages")
            .path("latency")
            .path("outputs")
            .path("xeon.csv")
            .path("sha256")
            .asText()
            .length());
    JsonNode c = m.path("stages").path("predictor").path("counts").path("xeon");
    assertEquals("linear", c.path("model").asText());
    assertEquals(200, c.path("test_n").asInt());
    assertTrue(Files.exists(rd.resolve("predictor/xeon/predictor.json")));
  }

  @Test
  void measureThenFitThenValidateOnFreshConfigs() throws Exception {
    Path t = HatflowCliTest.testdata().resolve("multi30k");
    Path s = tmp.resolve("m.yaml");
    Files.writeString(
        s,
        String.join(
            "\n",
            "version: 1",
            "name: m",
            "data:",
            "  train: {src: " + t.resolve("valid.en") + ", tgt: " + t.resolve("valid.de") + "}",
            "  vocab: {size: 256}",
            "targets:",
            "  - name: here",
            "    latency: {measure: {samples: 10, runs: 2, warmup: 1, src_tokens: 6, beam: 2, space: tiny}}",
            "    budgets_ms: [10]",
            ""));
    Path rd = tmp.resolve("run");
    Out m =
        HatflowCliTest.run(
            "latency",
            "measure",
            "--spec",
            s.toString(),
            "--target",
            "here",
            "--run-dir",
            rd.toString());
    assertEquals(0, m.code(), m.err());
    Path data = rd.resolve("latency/here.csv");
    assertEquals(10, LatencyCsv.read(data).size());
    assertTrue(Files.exists(rd.resolve("latency/here.avro")));
    assertTrue(m.out().contains("stability over 10 rows"), m.out());
    Out again =
        HatflowCliTest.run(
            "latency",
            "measure",
            "--spec",
            s.toString(),
            "--target",
            "here",
            "--run-dir",
            rd.toString());
    assertTrue(again.out().contains("0 to measure"), again.out());

    Path pred = tmp.resolve("pred");
    Out fit =
        HatflowCliTest.run(
            "predictor",
            "fit",
            "--latency",
            data.toString(),
            "--out",
            pred.toString(),
            "--model",
            "linear",
            "--space",
            "tiny",
            "--target",
            "here");
    assertEquals(0, fit.code(), fit.err());
    Out v =
        HatflowCliTest.run(
            "latency",
            "validate",
            "--spec",
            s.toString(),
            "--target",
            "here",
            "--predictor",
            pred.toString(),
            "--samples",
            "3",
            "--json");
    assertEquals(0, v.code(), v.err());
    assertEquals(3, new ObjectMapper().readTree(lastLine(v.out())).path("n").asInt(), v.out());

    Out unknown =
        HatflowCliTest.run("latency", "measure", "--spec", s.toString(), "--target", "nope");
    assertEquals(2, unknown.code());
    assertTrue(
        unknown.err().contains("no target \"nope\" in the spec (targets: here)"), unknown.err());
  }

  @Test
  void validatePrintsNoiseAndFinalizedErrorsOfARun() throws Exception {
    Path t = HatflowCliTest.testdata().resolve("multi30k");
    Path s = tmp.resolve("n.yaml");
    List<String> spec =
        List.of(
            "version: 1",
            "name: n",
            "data:",
            "  train: {src: " + t.resolve("valid.en") + ", tgt: " + t.resolve("valid.de") + "}",
            "  vocab: {size: 256}",
            "targets:",
            "  - name: here",
            "    latency: {measure: {samples: 4, runs: 3, max_runs: 8, warmup: 1, src_tokens: 6, beam: 2, space: tiny}}",
            "    budgets_ms: [10]",
            "");
    Files.writeString(s, String.join("\n", spec));
    Path rd = tmp.resolve("run");
    Out m =
        HatflowCliTest.run(
            "latency",
            "measure",
            "--spec",
            s.toString(),
            "--target",
            "here",
            "--run-dir",
            rd.toString());
    assertEquals(0, m.code(), m.err());
    assertTrue(m.out().contains("runs 3..8"), m.out());

    Out v = HatflowCliTest.run("latency", "validate", "--run-dir", rd.toString());
    assertEquals(0, v.code(), v.err());
    assertTrue(
        v.out().contains("here: stability over 4 rows: median trimmed std/mean encoder"), v.out());
    assertTrue(
        v.out().matches("(?s).*median runs \\d+ \\(of 3\\.\\.8\\).*affinity (cpu \\d+|none).*"),
        v.out());
    assertTrue(
        v.out().contains("no finalize results at " + rd.resolve("finalize/results.json")), v.out());

    Files.createDirectories(rd.resolve("finalize"));
    Files.writeString(
        rd.resolve("finalize/results.json"),
        "{\"results\": ["
            + "{\"name\": \"here-10ms\", \"kind\": \"winner\", \"predicted_ms\": {\"here\": 10.5}, \"measured_ms\": {\"here\": 10.0}},"
            + "{\"name\": \"here-20ms\", \"kind\": \"winner\", \"predicted_ms\": {\"here\": 26.0}, \"measured_ms\": {\"here\": 20.0}},"
            + "{\"name\": \"random-1\", \"kind\": \"random\", \"predicted_ms\": {\"here\": 1.0}, \"measured_ms\": {\"here\": 2.0}}]}");
    Out f = HatflowCliTest.run("latency", "validate", "--run-dir", rd.toString());
    assertEquals(0, f.code(), f.err());
    assertTrue(
        f.out()
            .contains(
                "here-10ms on here: measured 10.000 ms, predicted 10.500 ms, error +5.0% (within 10%)"),
        f.out());
    assertTrue(
        f.out()
            .contains(
                "here-20ms on here: measured 20.000 ms, predicted 26.000 ms, error +30.0% (OFF"),
        f.out());
    assertFalse(f.out().contains("random-1"), "only winners");

    Out csv = HatflowCliTest.run("latency", "validate", "--latency", csv().toString());
    assertEquals(0, csv.code(), csv.err());
    assertTrue(csv.out().contains("wmt14ende_cpu_xeon_all: stability over 2000 rows"), csv.out());

    Out none =
        HatflowCliTest.run("latency", "validate", "--run-dir", tmp.resolve("nope").toString());
    assertEquals(2, none.code());
    assertTrue(
        none.err().contains("no latency folder at " + tmp.resolve("nope").resolve("latency")),
        none.err());
    Out missing =
        HatflowCliTest.run("latency", "validate", "--latency", tmp.resolve("x.avro").toString());
    assertEquals(2, missing.code());
    assertTrue(
        missing.err().contains("no such latency file: " + tmp.resolve("x.avro")), missing.err());
    Out noFin =
        HatflowCliTest.run(
            "latency",
            "validate",
            "--run-dir",
            rd.toString(),
            "--finalize",
            tmp.resolve("r.json").toString());
    assertEquals(2, noFin.code());
    assertTrue(
        noFin.err().contains("--finalize: no such file: " + tmp.resolve("r.json")), noFin.err());
    assertEquals(2, HatflowCliTest.run("latency", "validate").code(), "no input");

    Files.writeString(s, String.join("\n", spec).replace("max_runs: 8", "max_runs: 2"));
    Out bad =
        HatflowCliTest.run(
            "latency",
            "measure",
            "--spec",
            s.toString(),
            "--target",
            "here",
            "--run-dir",
            rd.toString());
    assertEquals(2, bad.code());
    assertTrue(
        bad.err().contains("max_runs") && bad.err().contains("expected at least runs (3), got 2"),
        bad.err());
  }

  @Test
  void bareGroupsAreUsageErrorsAndHelpListsThem() {
    assertEquals(2, HatflowCliTest.run("latency").code());
    assertEquals(2, HatflowCliTest.run("predictor").code());
    Out h = HatflowCliTest.run("--help");
    assertTrue(h.out().contains("latency") && h.out().contains("predictor"), h.out());
    Out lh = HatflowCliTest.run("latency", "--help");
    assertTrue(
        lh.out().contains("measure")
            && lh.out().contains("import")
            && lh.out().contains("validate"),
        lh.out());
  }
}
