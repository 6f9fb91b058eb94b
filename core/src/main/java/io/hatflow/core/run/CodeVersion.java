package io.hatflow.core.run;

/**
 * The human-readable code version recorded in lineage: {@code git describe} as the launcher passes
 * it ({@code -Dhatflow.codeVersion}), else the build's version. Stage fingerprints do not use it (a
 * docs-only commit would invalidate every cached stage); they use {@link CodeDigest}.
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
