package io.hatflow.core.bleu;

import io.hatflow.core.run.UserInputException;

/**
 * Bad BLEU input (unreadable text, mismatched line counts); the message names the file(s) and line.
 */
public class BleuInputException extends UserInputException {
  public BleuInputException(String message) {
    super(message);
  }

  public BleuInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
