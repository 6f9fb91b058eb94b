package io.hatflow.pipelines.finalize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.run.AtomicFiles;
import io.hatflow.core.search.HatJson;
import io.hatflow.schemas.FinalResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * finalize's result files, each written atomically: results.avro / .json / .csv and ranking.json.
 */
public final class FinalizeOutputs {
  public static final String RESULTS_AVRO = "results.avro";
  public static final String RESULTS_JSON = "results.json";
  public static final String RESULTS_CSV = "results.csv";
  public static final String RANKING_JSON = "ranking.json";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private FinalizeOutputs() {}

  /** Writes all four files and returns the ranking's τ values. */
  public static Ranking.Tau write(Path dir, List<FinalResult> results) {
    writeResults(dir.resolve(RESULTS_AVRO), results);
    ArrayNode arr = JSON.createArrayNode();
    for (FinalResult r : results) {
      arr.add(json(r));
    }
    ObjectNode root = JSON.createObjectNode();
    root.set("results", arr);
    AtomicFiles.writeString(dir.resolve(RESULTS_JSON), text(root));
    AtomicFiles.writeString(dir.resolve(RESULTS_CSV), csv(results));
    List<Ranking.Scores> scores =
        results.stream()
            .map(
                r ->
                    new Ranking.Scores(
                        r.getName(), r.getInheritedLoss(), r.getTrainedLoss(), r.getBleu()))
            .toList();
    Ranking.Tau tau = Ranking.tau(scores);
    ObjectNode rank = JSON.createObjectNode();
    rank.put("models", tau.models());
    putNumber(rank, "kendall_tau_inherited_vs_trained_loss", tau.lossVsLoss());
    putNumber(rank, "kendall_tau_inherited_loss_vs_bleu", tau.lossVsBleu());
    rank.put(
        "note",
        "tau 1 = inherited-weight validation loss orders the models exactly as after training "
            + "(for BLEU: lower inherited loss <-> higher BLEU)");
    ArrayNode per = rank.putArray("per_model");
    for (Ranking.Scores s : scores) {
      ObjectNode o = per.addObject();
      o.put("name", s.name());
      o.put("inherited_loss", s.inheritedLoss());
      o.put("trained_loss", s.trainedLoss());
      o.put("bleu", s.bleu());
    }
    AtomicFiles.writeString(dir.resolve(RANKING_JSON), text(rank));
    return tau;
  }

  /** The results of a finalize output directory ({@code results.avro}). */
  public static List<FinalResult> read(Path dir) {
    return readResults(dir.resolve(RESULTS_AVRO));
  }

  /** Results from one Avro file of {@link FinalResult} records. */
  public static List<FinalResult> readResults(Path f) {
    List<FinalResult> out = new ArrayList<>();
    try (DataFileReader<FinalResult> r =
        new DataFileReader<>(f.toFile(), new SpecificDatumReader<>(FinalResult.class))) {
      r.forEach(out::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + f, e);
    }
    return out;
  }

  static ObjectNode json(FinalResult r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("name", r.getName());
    o.put("kind", r.getKind());
    o.put("mode", r.getMode());
    o.put("target", r.getTarget());
    if (r.getBudgetMs() == null) {
      o.putNull("budget_ms");
    } else {
      o.put("budget_ms", r.getBudgetMs());
    }
    o.put("config_key", r.getConfigKey());
    o.put("params", r.getParams());
    o.put("flops", r.getFlops());
    o.put("inherited_loss", r.getInheritedLoss());
    o.put("trained_loss", r.getTrainedLoss());
    o.put("kept_step", r.getKeptStep());
    o.put("bleu", r.getBleu());
    ObjectNode p = o.putObject("predicted_ms");
    r.getPredictedMs().forEach(p::put);
    ObjectNode m = o.putObject("measured_ms");
    r.getMeasuredMs().forEach(m::put);
    ObjectNode err = o.putObject("error_pct");
    r.getMeasuredMs()
        .forEach(
            (t, ms) -> {
              Double pr = r.getPredictedMs().get(t);
              if (pr != null) {
                err.put(t, Ranking.errorPct(pr, ms));
              }
            });
    o.put("over_budget", r.getOverBudget());
    o.put("export_dir", r.getExportDir());
    ObjectNode eb = o.putObject("engine_bleu");
    r.getEngineBleu().forEach(eb::put);
    ObjectNode em = o.putObject("engine_ms");
    r.getEngineMs().forEach(em::put);
    o.set("config", JSON.valueToTree(HatJson.read(r.getConfig()).toHatMap()));
    o.put("update", r.getUpdate());
    r.getUpdatedLayers().forEach(o.putArray("updated_layers")::add);
    o.put("updated_params", r.getUpdatedParams());
    putNullable(o, "update_budget", r.getUpdateBudget());
    ArrayNode probe = o.putArray("update_probe");
    for (var x : r.getUpdateProbe()) {
      ObjectNode row =
          probe
              .addObject()
              .put("layer", x.getLayer())
              .put("loss_gain", x.getLossGain())
              .put("backward_ms", x.getBackwardMs());
      putNullable(row, "path_ms", x.getPathMs());
      putNullable(row, "weight_ms", x.getWeightMs());
      row.put("picked", x.getPicked());
    }
    return o;
  }

  /** One row per model; latency columns per target (predicted, measured, error %). */
  static String csv(List<FinalResult> results) {
    TreeSet<String> targets = new TreeSet<>();
    results.forEach(
        r -> {
          targets.addAll(r.getPredictedMs().keySet());
          targets.addAll(r.getMeasuredMs().keySet());
        });
    StringBuilder b =
        new StringBuilder(
            "name,kind,mode,target,budget_ms,config_key,params,flops,inherited_loss,trained_loss,kept_step,bleu");
    for (String t : targets) {
      b.append(",predicted_ms_")
          .append(t)
          .append(",measured_ms_")
          .append(t)
          .append(",error_pct_")
          .append(t);
    }
    b.append(",over_budget");
    for (String e : ENGINES) {
      b.append(",bleu_").append(e).append(",measured_ms_").append(e);
    }
    b.append(",export_dir,update,updated_layers,updated_params\n");
    for (FinalResult r : results) {
      b.append(r.getName())
          .append(',')
          .append(r.getKind())
          .append(',')
          .append(r.getMode())
          .append(',')
          .append(r.getTarget() == null ? "" : r.getTarget())
          .append(',')
          .append(r.getBudgetMs() == null ? "" : num(r.getBudgetMs()))
          .append(",\"")
          .append(r.getConfigKey().replace("\"", "\"\""))
          .append("\",")
          .append(r.getParams())
          .append(',')
          .append(r.getFlops())
          .append(',')
          .append(num(r.getInheritedLoss()))
          .append(',')
          .append(num(r.getTrainedLoss()))
          .append(',')
          .append(r.getKeptStep())
          .append(',')
          .append(num(r.getBleu()));
      for (String t : targets) {
        Double p = r.getPredictedMs().get(t);
        Double m = r.getMeasuredMs().get(t);
        b.append(',')
            .append(p == null ? "" : num(p))
            .append(',')
            .append(m == null ? "" : num(m))
            .append(',')
            .append(p == null || m == null ? "" : num(Ranking.errorPct(p, m)));
      }
      b.append(',').append(r.getOverBudget());
      for (String e : ENGINES) {
        Double x = r.getEngineBleu().get(e);
        Double ms = r.getEngineMs().get(e);
        b.append(',').append(x == null ? "" : num(x)).append(',').append(ms == null ? "" : num(ms));
      }
      b.append(',').append(r.getExportDir() == null ? "" : r.getExportDir());
      b.append(',')
          .append(r.getUpdate())
          .append(',')
          .append(String.join(" ", r.getUpdatedLayers()))
          .append(',')
          .append(r.getUpdatedParams())
          .append('\n');
    }
    return b.toString();
  }

  /**
   * Engines a winner is scored on (finalize.export): DJL, and its ONNX export on ONNX Runtime in
   * fp32 and int8.
   */
  public static final java.util.List<String> ENGINES =
      java.util.List.of("djl", "onnx-fp32", "onnx-int8");

  private static String num(double x) {
    return String.format(Locale.ROOT, "%.6g", x);
  }

  private static void putNullable(ObjectNode o, String k, Double v) {
    if (v == null) {
      o.putNull(k);
    } else {
      o.put(k, v);
    }
  }

  private static void putNumber(ObjectNode o, String k, double v) {
    if (Double.isNaN(v)) {
      o.putNull(k);
    } else {
      o.put(k, v);
    }
  }

  private static String text(Object o) {
    try {
      return JSON.writeValueAsString(o) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes results as one Avro file, atomically. */
  public static void writeResults(Path file, List<FinalResult> results) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataFileWriter<FinalResult> w =
        new DataFileWriter<>(new SpecificDatumWriter<>(FinalResult.class))) {
      w.create(FinalResult.getClassSchema(), bytes);
      for (FinalResult r : results) {
        w.append(r);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + file, e);
    }
    AtomicFiles.write(file, bytes.toByteArray());
  }
}
