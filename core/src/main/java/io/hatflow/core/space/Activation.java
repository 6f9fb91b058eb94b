package io.hatflow.core.space;

import io.hatflow.core.run.UserInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The FFN activation of a layer, Primer's optional gene ({@code encoder_activation}, {@code
 * decoder_activation}). A search space holds a choice as its code ({@link #ordinal()}, fixed:
 * checkpoint headers store it); specs, JSON and YAML spell it by {@link #spec()} name.
 */
public enum Activation {
  RELU("relu"),
  SQUARED_RELU("squared_relu"),
  GELU("gelu");

  private final String spec;

  Activation(String spec) {
    this.spec = spec;
  }

  public String spec() {
    return spec;
  }

  public static Activation of(int code) {
    if (code < 0 || code >= values().length) {
      throw new IllegalArgumentException("no activation with code " + code);
    }
    return values()[code];
  }

  /**
   * The activation named {@code name}; a {@link UserInputException} naming {@code gene} when
   * unknown.
   */
  public static Activation byName(String gene, String name) {
    for (Activation a : values()) {
      if (a.spec.equals(name)) {
        return a;
      }
    }
    throw new UserInputException(
        gene
            + ": unknown activation \""
            + name
            + "\" (known: "
            + String.join(", ", Arrays.stream(values()).map(Activation::spec).toList())
            + ")");
  }

  static List<String> names(List<Integer> codes) {
    List<String> out = new ArrayList<>(codes.size());
    for (int c : codes) {
      out.add(of(c).spec);
    }
    return out;
  }
}
