package io.hatflow.core.run;

/** Failures said in one line: what failed, and the root cause when that says something else. */
public final class Failures {
  private Failures() {}

  /**
   * The innermost cause, e.g. the "No space left on device" under "cannot write checkpoint ...".
   */
  public static Throwable root(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  /** {@code e}'s message, with its root cause appended unless the message already says it. */
  public static String oneLine(Throwable e) {
    Throwable root = root(e);
    String msg = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    String cause = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    return root == e || msg.contains(cause)
        ? msg
        : msg + " (cause: " + root.getClass().getSimpleName() + ": " + cause + ")";
  }
}
