package io.hatflow.model.predictor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.run.UserInputException;

final class Json {
  private Json() {}

  static void putArray(ObjectNode o, String key, double[] xs) {
    ArrayNode a = o.putArray(key);
    for (double x : xs) {
      a.add(x);
    }
  }

  static double[] doubles(JsonNode o, String key) {
    JsonNode a = o.get(key);
    if (a == null || !a.isArray()) {
      throw new UserInputException("predictor params: '" + key + "' missing or not an array");
    }
    double[] out = new double[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asDouble();
    }
    return out;
  }
}
