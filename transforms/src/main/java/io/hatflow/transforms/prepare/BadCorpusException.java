package io.hatflow.transforms.prepare;

/** Bad input to prepare (missing or empty file, misaligned sides, invalid UTF-8, over-long line). Exit code 2. */
public class BadCorpusException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public BadCorpusException(String message) {
    super(message);
  }
}
