package io.hatflow.pipelines.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.latency.LatencyRow;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.latency.Split;
import io.hatflow.core.run.AtomicFiles;
import io.hatflow.core.run.Manifest;
import io.hatflow.core.run.RunDir;
import io.hatflow.core.run.RunManifest;
import io.hatflow.core.run.StageRecord;
import io.hatflow.model.predictor.LatencyPredictor;
import io.hatflow.model.predictor.PredictorIO;
import io.hatflow.pipelines.finalize.FinalizeOutputs;
import io.hatflow.pipelines.finalize.Ranking;
import io.hatflow.pipelines.stages.FinalizeStage;
import io.hatflow.pipelines.stages.LatencyStage;
import io.hatflow.pipelines.stages.PredictorStage;
import io.hatflow.pipelines.stages.SearchStage;
import io.hatflow.schemas.Evaluation;
import io.hatflow.schemas.FinalResult;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.knowm.xchart.XYChart;

/**
 * Renders a run directory into a self-contained {@code report/index.html} (inline CSS, charts as
 * PNG with SVG beside them, no network references): lineage and per-stage status, Pareto fronts,
 * search convergence, predictor accuracy, winners after finalize, the ranking check and warnings.
 * Renders what exists and lists what is missing. Written to a temporary directory and renamed into
 * place.
 */
public final class ReportWriter {
  /** The page's file name in the output folder. */
  public static final String INDEX = "index.html";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Color GREY = new Color(160, 170, 185);
  private static final Color BLUE = new Color(31, 100, 200);
  private static final Color RED = new Color(210, 40, 40);
  private static final Color GREEN = new Color(30, 150, 70);
  private static final Color[] PALETTE = {
    BLUE,
    RED,
    GREEN,
    new Color(230, 140, 0),
    new Color(130, 60, 180),
    new Color(0, 150, 160),
    new Color(120, 120, 0),
    new Color(200, 80, 150)
  };

  private final Path run;
  private final SearchStage.Outputs search;
  private final FinalizeStage.Outputs finalized;
  private final PredictorStage.Outputs predictors;
  private final LatencyStage.Outputs latency;
  private final StringBuilder html = new StringBuilder();
  private final List<String> missing = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();
  private final List<String> charts = new ArrayList<>();
  private Path dir;

  private ReportWriter(Path run) {
    this.run = run;
    this.search = SearchStage.Outputs.at(run);
    this.finalized = FinalizeStage.Outputs.at(run);
    this.predictors = PredictorStage.Outputs.at(run);
    this.latency = LatencyStage.Outputs.at(run);
  }

  /** {@code f} as users see it: relative to the run directory. */
  private String rel(Path f) {
    return run.relativize(f).toString().replace('\\', '/');
  }

  /**
   * Writes {@code out/index.html} and its charts for the run in {@code runDir}; returns the index
   * file.
   */
  public static Path write(Path runDir, Path out, String title) {
    ReportWriter w = new ReportWriter(runDir);
    Path tmp = AtomicFiles.tempDirFor(out);
    w.dir = tmp;
    String page = w.render(title);
    try {
      Files.writeString(tmp.resolve(INDEX), page, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report in " + tmp, e);
    }
    AtomicFiles.commitDir(tmp, out);
    return out.resolve(INDEX);
  }

  // ------------------------------------------------------------------ page

  private String render(String title) {
    RunManifest manifest = manifest();
    String name =
        manifest == null || manifest.name() == null
            ? run.getFileName().toString()
            : manifest.name();
    String heading = title == null || title.isBlank() ? "hatflow run " + name : title;
    StringBuilder body = new StringBuilder();
    body.append("<h1>").append(esc(heading)).append("</h1>\n");
    body.append(
            "<p class=sub>HAT (Hardware-Aware Transformers) architecture search &middot; run <code>")
        .append(esc(run.toAbsolutePath().toString()))
        .append("</code> &middot; report written ")
        .append(esc(Instant.now().toString()))
        .append("</p>\n");

    String lineage = lineage(manifest);
    List<FinalResult> results = finalResults();
    JsonNode winners = json(search.winnersJson(), rel(search.winnersJson()) + " (winners)");
    String winnersTable = winnersTable(results, winners);
    String ranking = ranking();
    String pareto = pareto(winners);
    String convergence = convergence();
    String predictor = predictorAccuracy(results, manifest);
    searchWarnings();

    body.append(section("Winners", winnersTable));
    body.append(section("Does inherited fitness rank models right?", ranking));
    body.append(section("Pareto fronts: validation loss vs predicted latency", pareto));
    body.append(section("Search convergence", convergence));
    body.append(section("Latency predictor accuracy", predictor));
    body.append(section("Warnings", warnings.isEmpty() ? "<p>None.</p>" : list(warnings, "warn")));
    body.append(
        section(
            "Missing",
            missing.isEmpty()
                ? "<p>Every stage's outputs were found.</p>"
                : list(missing, "miss")));
    body.append(section("Lineage", lineage));
    body.append(section("Spec", spec()));

    html.append("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>")
        .append(esc(heading))
        .append("</title>\n<style>")
        .append(CSS)
        .append("</style></head>\n<body>\n")
        .append(body)
        .append("</body></html>\n");
    return html.toString();
  }

  private static final String CSS =
      String.join(
          "\n",
          "body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px auto;max-width:1100px;color:#1c2430;padding:0 16px}",
          "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;border-bottom:2px solid #dde3ea;padding-bottom:4px;margin-top:34px}",
          "h3{font-size:15px;margin:18px 0 6px}.sub{color:#5a6675;margin-top:0}",
          "table{border-collapse:collapse;margin:8px 0;font-size:12.5px}.wide{overflow-x:auto}td code{word-break:break-all}th,td{border:1px solid #d5dbe3;padding:4px 8px;text-align:left;vertical-align:top}",
          "th{background:#f1f4f8}td.n{text-align:right;font-variant-numeric:tabular-nums}tr.bad td{background:#fdecec}",
          "code,pre{font-family:Menlo,Consolas,monospace;font-size:12px}pre{background:#f6f8fa;padding:10px;overflow:auto;border:1px solid #e1e5ea}",
          ".charts{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figure img{width:520px;border:1px solid #e1e5ea}",
          "figcaption{font-size:12px;color:#5a6675}ul.warn li{color:#9a3a00}ul.miss li{color:#6a6f76}",
          ".ok{color:#1e8c46;font-weight:600}.bad{color:#c62828;font-weight:600}");

  private static String section(String title, String content) {
    return "<h2>" + esc(title) + "</h2>\n" + content + "\n";
  }

  private static String list(List<String> items, String cls) {
    StringBuilder b = new StringBuilder("<ul class=" + cls + ">");
    items.forEach(i -> b.append("<li>").append(esc(i)).append("</li>"));
    return b.append("</ul>").toString();
  }

  private String figure(XYChart c, String name, String caption) {
    Charts.save(c, dir, name);
    charts.add(name);
    return "<figure><img src=\""
        + name
        + ".png\" alt=\""
        + esc(caption)
        + "\"><figcaption>"
        + esc(caption)
        + " &middot; <a href=\""
        + name
        + ".svg\">SVG</a></figcaption></figure>";
  }

  // ------------------------------------------------------------------ lineage and spec

  /** The run's manifest, or null (listed as missing) when there is none or it cannot be read. */
  private RunManifest manifest() {
    Path f = run.resolve(Manifest.FILE);
    if (!Files.exists(f)) {
      missing.add(Manifest.FILE + " (run lineage)");
      return null;
    }
    try {
      return Manifest.parse(Files.readAllBytes(f), f.toString());
    } catch (IOException | RuntimeException e) {
      missing.add(Manifest.FILE + ": unreadable (" + e.getMessage() + ")");
      return null;
    }
  }

  private static String text(Object o) {
    return o == null ? "" : o.toString();
  }

  private String lineage(RunManifest m) {
    if (m == null) {
      return "<p>No manifest.json.</p>";
    }
    StringBuilder b = new StringBuilder("<table>");
    row(b, "run name", text(m.name()));
    row(b, "spec (effective sha256)", m.spec() == null ? "" : text(m.spec().effectiveSha256()));
    row(b, "spec file sha256", m.spec() == null ? "" : text(m.spec().sha256()));
    row(b, "code version", text(m.codeVersion()));
    row(
        b,
        "runner",
        text(m.runner()) + " " + JSON.valueToTree(m.options() == null ? Map.of() : m.options()));
    row(b, "seed", text(m.seed()));
    row(b, "host", text(m.host()));
    if (m.overrides() != null && !m.overrides().isEmpty()) {
      row(b, "overrides", JSON.valueToTree(m.overrides()).toString());
    }
    b.append(
        "</table>\n<h3>Stages</h3><table><tr><th>stage</th><th>status</th><th>seconds</th><th>finished</th><th>counts</th></tr>");
    for (Map.Entry<String, StageRecord> e : m.stages().entrySet()) {
      StageRecord s = e.getValue();
      String status = s.statusOrEmpty();
      if (e.getKey().equals("report") && status.equals("running")) {
        status = "done (this report)"; // written by the report stage itself, which finishes with it
      }
      b.append("<tr><td>")
          .append(esc(e.getKey()))
          .append("</td><td class=")
          .append(status.equals("failed") || status.equals("stale") ? "bad" : "ok")
          .append('>')
          .append(esc(status))
          .append("</td><td class=n>")
          .append(s.seconds() != null ? fmt(s.seconds(), 1) : "")
          .append("</td><td>")
          .append(esc(text(s.finished())))
          .append("</td><td><code>")
          .append(esc(s.counts() != null ? s.counts().toString() : ""))
          .append("</code>")
          .append(s.error() != null ? "<br><span class=bad>" + esc(s.error()) + "</span>" : "")
          .append("</td></tr>");
    }
    return b.append("</table>").toString();
  }

  private String spec() {
    Path f = run.resolve(RunDir.SPEC_FILE);
    if (!Files.exists(f)) {
      missing.add("spec.yaml");
      return "<p>No spec.yaml.</p>";
    }
    return "<p>The spec as run (<code>spec.yaml</code>):</p><pre>" + esc(read(f)) + "</pre>";
  }

  private static void row(StringBuilder b, String k, String v) {
    b.append("<tr><th>")
        .append(esc(k))
        .append("</th><td><code>")
        .append(esc(v))
        .append("</code></td></tr>");
  }

  // ------------------------------------------------------------------ winners and ranking

  private List<FinalResult> finalResults() {
    Path f = finalized.results();
    if (!Files.exists(f)) {
      missing.add(rel(f) + ": winners not trained or scored yet (run `hatflow finalize`)");
      return List.of();
    }
    List<FinalResult> rs = finalized.readResults();
    for (FinalResult r : rs) {
      if (r.getOverBudget()) {
        warnings.add(
            r.getName()
                + ": measured "
                + fmt(r.getMeasuredMs().get(r.getTarget()), 2)
                + " ms exceeds its "
                + ms(r.getBudgetMs())
                + " ms budget by more than 10%");
      }
    }
    return rs;
  }

  private String winnersTable(List<FinalResult> results, JsonNode winners) {
    if (!results.isEmpty()) {
      String mode =
          results.get(0).getMode().equals("scratch")
              ? "trained from random weights (mode scratch)"
              : "fine-tuned from their inherited weights (mode inherit), keeping the step with the lowest validation loss"
                  + " (the inherited weights themselves when fine-tuning only made them worse)";
      StringBuilder b =
          new StringBuilder(
              "<p>After finalize: each winner (and random controls) "
                  + mode
                  + ", "
                  + "BLEU on the test split, latency predicted for its target and measured here by HAT's protocol.</p>"
                  + "<table><tr><th>model</th><th>target</th><th>budget ms</th><th>genes</th><th>params</th><th>FLOPs</th>"
                  + "<th>inherited loss</th><th>kept loss (step)</th><th>BLEU</th><th>predicted ms</th><th>measured ms</th>"
                  + "<th>error %</th><th>over budget</th></tr>");
      b.insert(0, "<div class=wide>");
      for (FinalResult r : results) {
        String t = r.getTarget();
        Map<String, Double> pred = r.getPredictedMs();
        Map<String, Double> meas = r.getMeasuredMs();
        b.append(r.getOverBudget() ? "<tr class=bad>" : "<tr>")
            .append("<td>")
            .append(esc(r.getName()))
            .append("</td><td>")
            .append(esc(t == null ? "(random)" : t))
            .append("</td><td class=n>")
            .append(r.getBudgetMs() == null ? "" : ms(r.getBudgetMs()))
            .append("</td><td><code>")
            .append(esc(r.getConfigKey()))
            .append("</code></td><td class=n>")
            .append(String.format(Locale.ROOT, "%,d", r.getParams()))
            .append("</td><td class=n>")
            .append(String.format(Locale.ROOT, "%,d", r.getFlops()))
            .append("</td><td class=n>")
            .append(fmt(r.getInheritedLoss(), 3))
            .append("</td><td class=n>")
            .append(fmt(r.getTrainedLoss(), 3))
            .append(
                r.getKeptStep() == 0
                    ? " (inherited kept)"
                    : r.getKeptStep() > 0 ? " (step " + r.getKeptStep() + ")" : "")
            .append("</td><td class=n>")
            .append(fmt(r.getBleu(), 2))
            .append("</td><td class=n>")
            .append(perTarget(pred, t))
            .append("</td><td class=n>")
            .append(t == null || meas.containsKey(t) ? perTarget(meas, t) : "not measured here")
            .append("</td><td class=n>");
        // A winner's error is its own target's prediction against its own target's measurement,
        // never another's
        // (an imported target's winner measured on this machine says nothing about that target's
        // predictor).
        List<String> errs = new ArrayList<>();
        meas.forEach(
            (k, v) -> {
              if (pred.containsKey(k) && (t == null || t.equals(k))) {
                errs.add(
                    (t == null && meas.size() > 1 ? k + ": " : "")
                        + fmt(Ranking.errorPct(pred.get(k), v), 1));
              }
            });
        b.append(esc(String.join(", ", errs)))
            .append("</td><td>")
            .append(
                r.getOverBudget()
                    ? "<span class=bad>yes</span>"
                    : (r.getTarget() == null ? "" : "no"))
            .append("</td></tr>");
      }
      return b.append("</table></div>")
          .append(deploymentTable(results))
          .append(sparseTable(results))
          .toString();
    }
    if (winners == null) {
      return "<p>No winners: the search has not run.</p>";
    }
    StringBuilder b =
        new StringBuilder(
            "<p>From the search (finalize has not run: no BLEU or measured latency).</p>"
                + "<table><tr><th>search</th><th>genes</th><th>params</th><th>FLOPs</th><th>fitness (val. loss)</th><th>predicted ms</th></tr>");
    for (JsonNode w : winners.path("winners")) {
      b.append("<tr><td>")
          .append(esc(w.path("search").asText()))
          .append("</td><td><code>")
          .append(esc(w.path("config_key").asText()))
          .append("</code></td><td class=n>")
          .append(esc(w.path("params").asText()))
          .append("</td><td class=n>")
          .append(esc(w.path("flops").asText()))
          .append("</td><td class=n>")
          .append(fmt(w.path("fitness").asDouble(), 4))
          .append("</td><td class=n>")
          .append(
              fmt(w.path("predicted_ms").path(w.path("target").asText()).asDouble(Double.NaN), 2))
          .append("</td></tr>");
    }
    return b.append("</table>").toString();
  }

  /**
   * Sparse fine-tuning (finalize.update other than all): what each model updated and what an update
   * cost; for auto, the probe's loss gain and backward time per layer, the picked ones marked.
   */
  private static String sparseTable(List<FinalResult> results) {
    if (results.stream().allMatch(r -> r.getUpdate().equals("all"))) {
      return "";
    }
    StringBuilder b =
        new StringBuilder(
            "<p>Sparse fine-tuning (finalize.update <b>"
                + esc(results.get(0).getUpdate())
                + "</b>"
                + (results.get(0).getUpdateBudget() == null
                    ? ""
                    : ", budget "
                        + fmt(results.get(0).getUpdateBudget(), 2)
                        + " of the full backward time")
                + "): frozen weights keep their inherited values and get no gradient or"
                + " optimizer state. Per model: what was updated and, for auto, the probe's validation-loss gain and backward"
                + " ms per layer alone, and the backward ms of the path down to it (a set of layers is estimated at the"
                + " longest path plus each one's weight gradients, alone minus path; picked in bold). Update and backward times and peak memory of each finalize training are"
                + " in the manifest (stages.finalize.training.costs).</p><table><tr><th>model</th><th>updated layers</th>"
                + "<th>updated params</th><th>probe: layer loss gain / backward ms (path ms)</th></tr>");
    for (FinalResult r : results) {
      List<String> probe = new ArrayList<>();
      r.getUpdateProbe()
          .forEach(
              x ->
                  probe.add(
                      (x.getPicked() ? "<b>" : "")
                          + esc(x.getLayer())
                          + " "
                          + fmt(x.getLossGain(), 4)
                          + " / "
                          + fmt(x.getBackwardMs(), 1)
                          + (x.getPathMs() == null ? "" : " (path " + fmt(x.getPathMs(), 1) + ")")
                          + (x.getPicked() ? "</b>" : "")));
      b.append("<tr><td>")
          .append(esc(r.getName()))
          .append("</td><td>")
          .append(
              esc(
                  r.getUpdatedLayers().isEmpty()
                      ? (r.getUpdate().equals("auto") ? "(none: not trained)" : r.getUpdate())
                      : String.join(" ", r.getUpdatedLayers())))
          .append("</td><td class=n>")
          .append(
              r.getUpdatedParams() < 0
                  ? ""
                  : String.format(Locale.ROOT, "%,d", r.getUpdatedParams()))
          .append("</td><td>")
          .append(String.join(", ", probe))
          .append("</td></tr>");
    }
    return b.append("</table>").toString();
  }

  /**
   * Winners on each engine side by side: BLEU and latency measured here with DJL and with the ONNX
   * export on ONNX Runtime in fp32 and int8, the int8 speed-up over fp32 and its BLEU change, and
   * where the export lies.
   */
  private static String deploymentTable(List<FinalResult> results) {
    List<FinalResult> scored = results.stream().filter(r -> !r.getEngineBleu().isEmpty()).toList();
    if (scored.isEmpty()) {
      return "";
    }
    StringBuilder b =
        new StringBuilder(
            "<h3>Deployment</h3><p>Each winner exported to ONNX (fp32, and int8 with"
                + " weights quantized per output channel and activations at run time), translated and timed on ONNX Runtime"
                + " with the same decoding and HAT's protocol on its own target; latency only where that target is measured"
                + " here.</p><div class=wide><table><tr><th>model</th>");
    for (String e : FinalizeOutputs.ENGINES) {
      b.append("<th>BLEU ").append(e).append("</th>");
    }
    for (String e : FinalizeOutputs.ENGINES) {
      b.append("<th>ms ").append(e).append("</th>");
    }
    b.append("<th>int8 speed-up vs fp32</th><th>int8 BLEU change</th><th>export</th></tr>");
    for (FinalResult r : scored) {
      b.append("<tr><td>").append(esc(r.getName())).append("</td>");
      for (String e : FinalizeOutputs.ENGINES) {
        Double x = r.getEngineBleu().get(e);
        b.append("<td class=n>").append(x == null ? "" : fmt(x, 2)).append("</td>");
      }
      for (String e : FinalizeOutputs.ENGINES) {
        Double x = r.getEngineMs().get(e);
        b.append("<td class=n>").append(x == null ? "" : fmt(x, 2)).append("</td>");
      }
      Double f32 = r.getEngineMs().get("onnx-fp32");
      Double i8 = r.getEngineMs().get("onnx-int8");
      Double bf = r.getEngineBleu().get("onnx-fp32");
      Double bi = r.getEngineBleu().get("onnx-int8");
      b.append("<td class=n>")
          .append(f32 == null || i8 == null ? "" : fmt(f32 / i8, 2) + "×")
          .append("</td><td class=n>")
          .append(bf == null || bi == null ? "" : String.format(Locale.ROOT, "%+.2f", bi - bf))
          .append("</td><td><code>")
          .append(esc(r.getExportDir() == null ? "" : r.getExportDir()))
          .append("</code></td></tr>");
    }
    return b.append("</table></div>").toString();
  }

  /**
   * The value on the model's own target, or all targets' values when it has none (random controls).
   */
  private static String perTarget(Map<String, Double> m, String target) {
    if (target != null && m.containsKey(target)) {
      return fmt(m.get(target), 2);
    }
    List<String> xs = new ArrayList<>();
    m.forEach((k, v) -> xs.add(k + ": " + fmt(v, 2)));
    return esc(String.join(", ", xs));
  }

  private String ranking() {
    JsonNode r = json(finalized.ranking(), null);
    if (r == null) {
      return "<p>No " + esc(rel(finalized.ranking())) + ".</p>";
    }
    StringBuilder b =
        new StringBuilder("<p>Kendall's &tau; over ")
            .append(r.path("models").asInt())
            .append(
                " models (winners and random controls): inherited-weight validation loss vs validation loss after "
                    + "finalize training <b>")
            .append(fmtNode(r.path("kendall_tau_inherited_vs_trained_loss")))
            .append("</b>; inherited loss vs BLEU (1 = lower loss, higher BLEU) <b>")
            .append(fmtNode(r.path("kendall_tau_inherited_loss_vs_bleu")))
            .append("</b>.</p>");
    List<Double> inh = new ArrayList<>();
    List<Double> tr = new ArrayList<>();
    for (JsonNode m : r.path("per_model")) {
      inh.add(m.path("inherited_loss").asDouble());
      tr.add(m.path("trained_loss").asDouble());
    }
    if (!inh.isEmpty()) {
      XYChart c =
          Charts.chart(
              "Inherited vs trained validation loss",
              "inherited-weight validation loss",
              "validation loss after finalize");
      Charts.add(c, Charts.Series.points("models", inh, tr, BLUE));
      b.append("<div class=charts>")
          .append(figure(c, "ranking", "each point one model"))
          .append("</div>");
    }
    return b.toString();
  }

  // ------------------------------------------------------------------ search

  private String pareto(JsonNode winners) {
    JsonNode front = json(search.paretoJson(), rel(search.paretoJson()) + " (Pareto fronts)");
    Map<String, Evaluation> evals = evaluations();
    TreeSet<String> targets = new TreeSet<>();
    if (front != null) {
      front.fieldNames().forEachRemaining(targets::add);
    }
    evals.values().forEach(e -> targets.addAll(e.getPredictedMs().keySet()));
    if (targets.isEmpty()) {
      return "<p>No search outputs.</p>";
    }
    StringBuilder b =
        new StringBuilder(
            "<p>Every distinct config the search evaluated (grey), each target's "
                + "frontier (blue) and the winners (red diamonds).</p><div class=charts>");
    for (String t : targets) {
      XYChart c =
          Charts.chart(
              "Target " + t,
              "predicted latency on " + t + " (ms)",
              "inherited-weight validation loss");
      List<Double> ex = new ArrayList<>();
      List<Double> ey = new ArrayList<>();
      for (Evaluation e : evals.values()) {
        Double ms = e.getPredictedMs().get(t);
        if (ms != null) {
          ex.add(ms);
          ey.add(e.getFitness());
        }
      }
      Charts.add(c, Charts.Series.points("evaluated (" + ex.size() + ")", ex, ey, GREY));
      List<double[]> fp = new ArrayList<>();
      if (front != null) {
        for (JsonNode p : front.path(t)) {
          fp.add(new double[] {p.path("predicted_ms").asDouble(), p.path("fitness").asDouble()});
        }
      }
      fp.sort((a, z) -> Double.compare(a[0], z[0]));
      Charts.add(
          c,
          new Charts.Series(
              "frontier",
              fp.stream().map(p -> p[0]).toList(),
              fp.stream().map(p -> p[1]).toList(),
              true,
              BLUE,
              false));
      List<Double> wx = new ArrayList<>();
      List<Double> wy = new ArrayList<>();
      if (winners != null) {
        for (JsonNode w : winners.path("winners")) {
          if (w.path("target").asText().equals(t)) {
            wx.add(w.path("predicted_ms").path(t).asDouble());
            wy.add(w.path("fitness").asDouble());
          }
        }
      }
      Charts.add(c, new Charts.Series("winners", wx, wy, false, RED, true));
      b.append(figure(c, "pareto-" + safe(t), "Pareto front, target " + t));
    }
    return b.append("</div>").toString();
  }

  /**
   * Every distinct config evaluated by the search (its typed output: the generations' evaluations).
   */
  private Map<String, Evaluation> evaluations() {
    if (!Files.isDirectory(search.dir())) {
      return new TreeMap<>();
    }
    List<String> unreadable = new ArrayList<>();
    Map<String, Evaluation> out = search.evaluations(unreadable);
    unreadable.forEach(u -> missing.add(u));
    if (out.isEmpty() && unreadable.isEmpty()) {
      missing.add(
          rel(search.dir())
              + ": no evaluated configs recorded; the Pareto charts show only the frontier");
    }
    return out;
  }

  private String convergence() {
    JsonNode h = json(search.historyJson(), rel(search.historyJson()) + " (convergence)");
    if (h == null) {
      return "<p>No search history.</p>";
    }
    Map<String, List<double[]>> per = new TreeMap<>();
    // Hypervolume is per target: every search of a target carries its target's value.
    Map<String, TreeMap<Double, Double>> hv = new TreeMap<>();
    for (JsonNode g : h) {
      if (g.hasNonNull("best_fitness")) {
        per.computeIfAbsent(g.path("search").asText(), k -> new ArrayList<>())
            .add(new double[] {g.path("generation").asDouble(), g.path("best_fitness").asDouble()});
      }
      if (g.hasNonNull("hypervolume")) {
        hv.computeIfAbsent(
                g.path("search").asText().replaceFirst("-[0-9.]+ms$", ""), k -> new TreeMap<>())
            .put(g.path("generation").asDouble(), g.path("hypervolume").asDouble());
      }
    }
    XYChart c =
        Charts.chart(
            "Best fitness per generation", "generation", "best inherited-weight validation loss");
    int i = 0;
    for (Map.Entry<String, List<double[]>> e : per.entrySet()) {
      List<double[]> pts = e.getValue();
      Charts.add(
          c,
          new Charts.Series(
              e.getKey(),
              pts.stream().map(p -> p[0]).toList(),
              pts.stream().map(p -> p[1]).toList(),
              true,
              PALETTE[i++ % PALETTE.length],
              false));
    }
    if (per.isEmpty()) {
      return "<p>The history has no feasible generation.</p>";
    }
    String hvChart = "";
    if (!hv.isEmpty()) {
      XYChart v =
          Charts.chart(
              "Hypervolume per generation",
              "generation",
              "hypervolume (normalised loss x latency)");
      int j = 0;
      for (Map.Entry<String, TreeMap<Double, Double>> e : hv.entrySet()) {
        Charts.add(
            v,
            new Charts.Series(
                e.getKey(),
                List.copyOf(e.getValue().keySet()),
                List.copyOf(e.getValue().values()),
                true,
                PALETTE[j++ % PALETTE.length],
                false));
      }
      hvChart =
          figure(
              v,
              "hypervolume",
              "hypervolume per target ("
                  + rel(search.hypervolumeJson())
                  + ": bounds, reference point)");
    }
    return "<p>One line per search (target, budget); hypervolume one line per target.</p><div class=charts>"
        + figure(c, "convergence", "search convergence")
        + hvChart
        + "</div>";
  }

  private void searchWarnings() {
    JsonNode s = json(search.summaryJson(), null);
    if (s != null) {
      for (JsonNode w : s.path("warnings")) {
        warnings.add("search: " + w.asText());
      }
    }
  }

  // ------------------------------------------------------------------ predictor

  private String predictorAccuracy(List<FinalResult> results, RunManifest manifest) {
    TreeSet<String> targets = new TreeSet<>();
    if (Files.isDirectory(predictors.dir())) {
      targets.addAll(predictors.targets());
    } else {
      missing.add(rel(predictors.dir()) + "/: no latency predictors");
    }
    results.forEach(r -> targets.addAll(r.getMeasuredMs().keySet()));
    if (targets.isEmpty()) {
      return "<p>No predictor and no measured latency.</p>";
    }
    StringBuilder b =
        new StringBuilder(
            "<p>Predicted vs measured latency, with the &plusmn;10% band. "
                + "Rows of the target's latency dataset (the predictor's held-out test rows when its split is stored) and "
                + "the finalized models measured here.</p>");
    StringBuilder figs = new StringBuilder("<div class=charts>");
    StringBuilder table =
        new StringBuilder(
            "<table><tr><th>target</th><th>model</th><th>points</th><th>test RMSE ms</th>"
                + "<th>test MAPD %</th><th>within 10% (%)</th><th>R&sup2;</th></tr>");
    for (String t : targets) {
      LatencyPredictor pred = null;
      JsonNode metrics = null;
      String model = "";
      Path d = predictors.predictor(t);
      if (Files.isDirectory(d)) {
        try {
          PredictorIO.Loaded l = PredictorIO.load(d);
          pred = l.predictor();
          metrics = l.metrics();
          model = pred.name();
        } catch (RuntimeException e) {
          missing.add(rel(d) + ": cannot load (" + e.getMessage() + ")");
        }
      }
      List<Double> mx = new ArrayList<>();
      List<Double> py = new ArrayList<>();
      String rowsNote = "";
      Path csv = latency.csv(t);
      if (pred != null && Files.exists(csv)) {
        try {
          LatencyTable tab = LatencyCsv.read(csv);
          List<LatencyRow> rows = tab.rows();
          Path split = d.resolve("split.json");
          if (Files.exists(split)) {
            rows = tab.select(Split.read(split, tab.size()).test());
            rowsNote = "held-out test rows";
          } else if (metrics != null && metrics.path("seed").canConvertToLong()) {
            // the predictor stage fits on Split.seeded(rows, seed) and records the seed with its
            // metrics
            rows = tab.select(Split.seeded(tab.size(), metrics.path("seed").asLong()).test());
            rowsNote = "held-out test rows";
          } else {
            rowsNote = "all rows";
          }
          for (LatencyRow r : rows) {
            mx.add(r.targetMs());
            py.add(pred.predictMs(r.features()));
          }
        } catch (RuntimeException e) {
          missing.add(rel(csv) + ": cannot read (" + e.getMessage() + ")");
        }
      } else if (!Files.exists(csv)) {
        missing.add(rel(csv));
      }
      List<Double> fx = new ArrayList<>();
      List<Double> fy = new ArrayList<>();
      List<String> fnames = new ArrayList<>();
      for (FinalResult r : results) {
        Double m = r.getMeasuredMs().get(t);
        Double p = r.getPredictedMs().get(t);
        if (m != null && p != null) {
          fx.add(m);
          fy.add(p);
          fnames.add(r.getName());
        }
      }
      if (mx.isEmpty() && fx.isEmpty()) {
        continue;
      }
      double max =
          Stream.concat(
                      Stream.concat(mx.stream(), py.stream()),
                      Stream.concat(fx.stream(), fy.stream()))
                  .mapToDouble(Double::doubleValue)
                  .max()
                  .orElse(1)
              * 1.05;
      XYChart c =
          Charts.chart(
              "Predictor accuracy, " + t, "measured latency (ms)", "predicted latency (ms)");
      Charts.add(c, Charts.Series.band("y = x", max, 1.0, Color.DARK_GRAY));
      Charts.add(c, Charts.Series.band("+10%", max, 1.1, GREY));
      Charts.add(c, Charts.Series.band("-10%", max, 0.9, GREY));
      Charts.add(
          c,
          Charts.Series.points(
              "latency dataset, " + rowsNote + " (" + mx.size() + ")", mx, py, BLUE));
      Charts.add(
          c, new Charts.Series("finalized models (" + fx.size() + ")", fx, fy, false, RED, true));
      figs.append(figure(c, "predictor-" + safe(t), "predicted vs measured, target " + t));
      JsonNode test = metrics == null ? null : metrics.path("test");
      JsonNode counts = manifest == null ? null : manifest.stage(PredictorStage.NAME).counts();
      String asked = counts == null ? model : counts.path(t).path("model").asText(model);
      String shown =
          asked.equals(model) || model.isEmpty()
              ? asked
              : asked + " (fitted: " + model + ", too few rows)";
      String points =
          metrics == null
              ? String.valueOf(mx.size())
              : metrics.path("train").path("n").asInt()
                  + " train / "
                  + metrics.path("valid").path("n").asInt()
                  + " valid / "
                  + metrics.path("test").path("n").asInt()
                  + " test";
      table
          .append("<tr><td>")
          .append(esc(t))
          .append("</td><td>")
          .append(esc(shown))
          .append("</td><td class=n>")
          .append(points)
          .append(fx.isEmpty() ? "" : "; " + fx.size() + " finalized")
          .append("</td><td class=n>")
          .append(test == null ? "" : fmtNode(test.path("rmse_ms")))
          .append("</td><td class=n>")
          .append(test == null ? "" : fmtNode(test.path("mapd_pct")))
          .append("</td><td class=n>")
          .append(test == null ? "" : fmtNode(test.path("within_10_pct")))
          .append("</td><td class=n>")
          .append(test == null ? "" : fmtNode(test.path("r2")))
          .append("</td></tr>");
      for (int i = 0; i < fx.size(); i++) {
        double err = Ranking.errorPct(fy.get(i), fx.get(i));
        if (Math.abs(err) > 10) {
          warnings.add(
              "target "
                  + t
                  + ": "
                  + fnames.get(i)
                  + "'s predicted latency is off by "
                  + fmt(err, 1)
                  + "% ("
                  + fmt(fy.get(i), 2)
                  + " ms predicted, "
                  + fmt(fx.get(i), 2)
                  + " ms measured)");
        }
      }
    }
    return b.append(figs).append("</div>").append(table).append("</table>").toString();
  }

  // ------------------------------------------------------------------ helpers

  private JsonNode json(Path f, String whatIfMissing) {
    if (!Files.exists(f)) {
      if (whatIfMissing != null) {
        missing.add(whatIfMissing);
      }
      return null;
    }
    try {
      return JSON.readTree(f.toFile());
    } catch (IOException e) {
      missing.add(run.relativize(f) + ": unreadable (" + e.getMessage() + ")");
      return null;
    }
  }

  private static String read(Path f) {
    try {
      return Files.readString(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String fmt(Double x, int decimals) {
    if (x == null || x.isNaN()) {
      return "n/a";
    }
    return String.format(Locale.ROOT, "%." + decimals + "f", x);
  }

  /** A budget or latency: up to 4 significant digits, no trailing zeros. */
  static String ms(double x) {
    return new java.math.BigDecimal(x)
        .round(new java.math.MathContext(4))
        .stripTrailingZeros()
        .toPlainString();
  }

  private static String fmtNode(JsonNode n) {
    return n == null || !n.isNumber() ? "n/a" : fmt(n.asDouble(), 3);
  }

  private static String safe(String s) {
    return s.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  static String esc(String s) {
    if (s == null) {
      return "";
    }
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  /** The chart names written (each as .png and .svg). */
  List<String> charts() {
    return charts;
  }
}
