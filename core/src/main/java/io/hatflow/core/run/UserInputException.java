package io.hatflow.core.run;

/**
 * Bad input from the user (an option, a spec value, an input file, a run directory, a vocabulary, a
 * predictor or an export they named): the CLI prints its message as one line and exits 2. Still an
 * {@link IllegalArgumentException}, so callers that catch those keep working; a plain one is a
 * broken contract inside hatflow, i.e. a bug, and is shown with its stack trace.
 */
public class UserInputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public UserInputException(String message) {
    super(message);
  }

  public UserInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
