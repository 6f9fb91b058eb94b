package io.hatflow.core.spec;

import java.util.regex.Pattern;

/**
 * The one rule for names users give (the run, targets): letters, digits, '.', '_' or '-', not
 * starting with a punctuation mark. A name becomes a folder and file name in the run directory
 * (predictor/NAME/, NAME.csv), so nothing else is safe on every filesystem.
 */
public final class Names {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private Names() {}

  public static boolean valid(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /**
   * What is wrong with {@code name} (for the caller to prefix with the key or option), or null when
   * valid.
   */
  public static String problem(String name) {
    return valid(name)
        ? null
        : "expected a name of letters, digits, '.', '_' or '-', got \"" + name + "\"";
  }
}
