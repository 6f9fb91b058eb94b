package io.hatflow.model.predictor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.run.AtomicFiles;
import io.hatflow.core.run.Digests;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.Features;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Saves and loads a predictor directory: {@code predictor.json} (model name, input feature set and
 * its column names, derived feature set, normalisation and coefficients, training metrics,
 * space/target metadata, the digest of the weights) and {@code model.bin} (the weights). Both files
 * are written under temporary names and renamed; {@code predictor.json} last, so a directory with a
 * readable predictor.json is complete.
 */
public final class PredictorIO {
  private PredictorIO() {}

  public static final int FORMAT = 1;
  public static final String JSON_FILE = "predictor.json";
  public static final String MODEL_FILE = "model.bin";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** A loaded predictor with what was recorded about it. */
  public record Loaded(
      FittedModel predictor, PredictorMeta meta, JsonNode metrics, JsonNode document) {}

  public static void save(Path dir, FitResult fit, PredictorMeta meta) {
    FittedModel p = fit.predictor();
    ObjectNode metrics = JSON.createObjectNode();
    try {
      metrics.set("train", JSON.readTree(fit.train().toJson()));
      metrics.set("valid", JSON.readTree(fit.valid().toJson()));
      metrics.set("test", JSON.readTree(fit.test().toJson()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    metrics.put("fit_seconds", fit.fitSeconds());
    metrics.put("seed", fit.seed());
    metrics.put("selection", fit.selection());
    save(dir, p, meta, metrics);
  }

  public static void save(Path dir, FittedModel p, PredictorMeta meta, ObjectNode metrics) {
    byte[] bytes = p.modelBytes();
    ObjectNode doc = JSON.createObjectNode();
    doc.put("format", FORMAT);
    doc.put("model", p.name());
    doc.put("input_feature_set", FeatureSet.INPUT_ID);
    ArrayNode names = doc.putArray("input_features");
    Features.NAMES.forEach(names::add);
    doc.put("derived_feature_set", p.featureSet().id());
    doc.put("target", "latency_mean_encoder + latency_mean_decoder (ms)");
    doc.put("space", meta.space());
    doc.put("hardware_target", meta.target());
    doc.put("dataset", meta.dataset());
    doc.put("dataset_sha256", meta.datasetSha256());
    if (meta.transfer() != null) {
      ObjectNode t = doc.putObject("transfer");
      t.put("fitted_by", "transfer");
      t.put("rows", meta.transfer().rows());
      ArrayNode src = t.putArray("source_sha256");
      meta.transfer().sourceSha256().forEach(src::add);
    }
    doc.put("model_file", MODEL_FILE);
    doc.put("model_sha256", sha256(bytes));
    doc.set("params", p.params());
    doc.set("metrics", metrics == null ? JSON.createObjectNode() : metrics);
    try {
      Files.createDirectories(dir);
      AtomicFiles.write(dir.resolve(MODEL_FILE), bytes);
      AtomicFiles.write(dir.resolve(JSON_FILE), JSON.writeValueAsBytes(doc));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save predictor to " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Loads a predictor; fails with a clear message if it was fitted on other input features than
   * HAT's 10.
   */
  public static Loaded load(Path dir) {
    Path jsonFile = dir.resolve(JSON_FILE);
    JsonNode doc;
    byte[] bytes;
    try {
      if (!Files.exists(jsonFile)) {
        throw new UserInputException(dir + ": not a predictor directory (no " + JSON_FILE + ")");
      }
      doc = JSON.readTree(jsonFile.toFile());
      bytes = Files.readAllBytes(dir.resolve(doc.path("model_file").asText(MODEL_FILE)));
    } catch (IOException e) {
      throw new UserInputException("cannot read predictor " + dir + ": " + e.getMessage(), e);
    }
    String where = jsonFile.toString();
    if (doc.path("format").asInt() != FORMAT) {
      throw new UserInputException(where + ": unsupported predictor format " + doc.path("format"));
    }
    String inputSet = doc.path("input_feature_set").asText();
    List<String> inputNames = new ArrayList<>();
    doc.path("input_features").forEach(n -> inputNames.add(n.asText()));
    if (!FeatureSet.INPUT_ID.equals(inputSet) || !Features.NAMES.equals(inputNames)) {
      throw new UserInputException(
          String.format(
              "%s: the predictor was fitted on feature set '%s' (%s), but this hatflow computes '%s' (%s); refit it",
              where,
              inputSet,
              String.join(",", inputNames),
              FeatureSet.INPUT_ID,
              String.join(",", Features.NAMES)));
    }
    FeatureSet derived;
    try {
      derived = FeatureSet.byId(doc.path("derived_feature_set").asText());
    } catch (IllegalArgumentException e) {
      throw new UserInputException(where + ": " + e.getMessage() + "; refit the predictor", e);
    }
    if (!sha256(bytes).equals(doc.path("model_sha256").asText())) {
      throw new UserInputException(
          where + ": " + MODEL_FILE + " does not match the digest in " + JSON_FILE);
    }
    String model = doc.path("model").asText();
    JsonNode params = doc.path("params");
    FittedModel p =
        switch (model) {
          case "linear", "phys-linear" -> LinearPredictor.restore(model, derived, params);
          case "hat-mlp" -> HatMlpPredictor.restore(params, bytes);
          case "gbdt", "phys-gbdt" -> GbdtPredictor.restore(model, derived, params, bytes);
          case PredictorFit.BLEND_MODEL -> BlendPredictor.restore(model, derived, params, bytes);
          case TransferPredictor.NAME -> TransferPredictor.restore(derived, params);
          default ->
              throw new UserInputException(where + ": unknown predictor model '" + model + "'");
        };
    PredictorMeta meta =
        new PredictorMeta(
            doc.path("space").asText(),
            doc.path("hardware_target").asText(),
            doc.path("dataset").asText(),
            doc.path("dataset_sha256").asText(),
            transfer(doc.get("transfer")));
    return new Loaded(p, meta, doc.path("metrics"), doc);
  }

  /** {@link #load(Path)}, refusing a predictor of another search space. */
  public static Loaded load(Path dir, String expectedSpace) {
    Loaded l = load(dir);
    if (!l.meta().space().equals(expectedSpace)) {
      throw new UserInputException(
          String.format(
              "%s: the predictor was fitted for search space '%s', not '%s'",
              dir.resolve(JSON_FILE), l.meta().space(), expectedSpace));
    }
    return l;
  }

  private static PredictorMeta.Transfer transfer(JsonNode t) {
    if (t == null || t.isNull()) {
      return null;
    }
    List<String> src = new ArrayList<>();
    t.path("source_sha256").forEach(n -> src.add(n.asText()));
    return new PredictorMeta.Transfer(src, t.path("rows").asInt());
  }

  public static String sha256(byte[] bytes) {
    return Digests.sha256(bytes);
  }
}
