package io.hatflow.core.bleu;

/** Bad BLEU input (unreadable text, mismatched line counts); the message names the file(s) and line. */
public class BleuInputException extends IllegalArgumentException {
  public BleuInputException(String message) {
    super(message);
  }

  public BleuInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
