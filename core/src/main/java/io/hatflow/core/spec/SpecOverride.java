package io.hatflow.core.spec;

/** A {@code --set key.path=value} override as given on the command line. */
public record SpecOverride(String key, String value) {
  public static SpecOverride parse(String arg) {
    int eq = arg.indexOf('=');
    if (eq <= 0) {
      throw new SpecException("--set " + arg, "", "expected key.path=value");
    }
    return new SpecOverride(arg.substring(0, eq).trim(), arg.substring(eq + 1));
  }

  @Override
  public String toString() {
    return key + "=" + value;
  }
}
