package io.hatflow.core.search;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.SubConfig;
import java.util.Map;

/**
 * A SubConfig as one line of JSON in HAT's gene names ({@link SubConfig#toHatMap()}), keys in HAT's
 * order.
 */
public final class HatJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private HatJson() {}

  public static String write(SubConfig c) {
    try {
      return JSON.writeValueAsString(c.toHatMap());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static SubConfig read(String json) {
    try {
      return SubConfig.fromHatMap(
          JSON.readValue(json, new TypeReference<Map<String, Object>>() {}));
    } catch (JsonProcessingException e) {
      throw new UserInputException("not a HAT SubTransformer config: " + json, e);
    }
  }
}
