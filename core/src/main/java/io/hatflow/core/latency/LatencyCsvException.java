package io.hatflow.core.latency;

import io.hatflow.core.run.UserInputException;

/**
 * Bad latency-dataset or split input: the message names the file, line and column (the CLI maps
 * this to exit 2).
 */
public class LatencyCsvException extends UserInputException {
  public LatencyCsvException(String message) {
    super(message);
  }

  public LatencyCsvException(String message, Throwable cause) {
    super(message, cause);
  }
}
