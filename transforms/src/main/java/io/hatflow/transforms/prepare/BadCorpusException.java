package io.hatflow.transforms.prepare;

import io.hatflow.core.run.UserInputException;

/**
 * Bad input to prepare (missing or empty file, misaligned sides, invalid UTF-8, over-long line).
 * Exit code 2.
 */
public class BadCorpusException extends UserInputException {
  private static final long serialVersionUID = 1L;

  public BadCorpusException(String message) {
    super(message);
  }
}
