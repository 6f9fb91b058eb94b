package io.hatflow.core.spec;

import io.hatflow.core.run.UserInputException;

/**
 * Bad input in a spec or an override: names where (file and line, or the {@code --set} that set
 * it), the key path and what is wrong, e.g. {@code spec.yaml:14: data.vocab.size: expected an
 * integer >= 256, got "big"}.
 */
public class SpecException extends UserInputException {
  private final String where;
  private final String keyPath;

  public SpecException(String where, String keyPath, String problem) {
    super(where + ": " + (keyPath.isEmpty() ? "" : keyPath + ": ") + problem);
    this.where = where;
    this.keyPath = keyPath;
  }

  /** {@code file:line} or {@code --set key=value}. */
  public String where() {
    return where;
  }

  public String keyPath() {
    return keyPath;
  }
}
