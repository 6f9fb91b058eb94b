package io.hatflow.core.run;

/**
 * The code version recorded in lineage and stage fingerprints: {@code git describe} as the launcher passes it
 * ({@code -Dhatflow.codeVersion}), else the build's version.
 */
public final class CodeVersion {
  private CodeVersion() {}

  public static String get() {
    String v = System.getProperty("hatflow.codeVersion");
    if (v != null && !v.isBlank()) {
      return v;
    }
    Package p = CodeVersion.class.getPackage();
    String impl = p == null ? null : p.getImplementationVersion();
    return impl == null ? "dev" : impl;
  }
}
