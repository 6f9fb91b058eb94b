package io.hatflow.core.spec;

import io.hatflow.core.run.Digests;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A validated spec as run: the file's exact bytes, the overrides applied on top and the typed
 * result. Nothing downstream reads the YAML again, so what was validated is what runs.
 */
public record FrozenSpec(String fileName, byte[] bytes, List<SpecOverride> overrides, Spec spec) {

  /** SHA-256 of the spec file's bytes. */
  public String fileSha256() {
    return Digests.sha256(bytes);
  }

  /**
   * SHA-256 of the spec bytes and the overrides: two runs with equal digests ran the same settings.
   */
  public String effectiveSha256() {
    StringBuilder b = new StringBuilder(fileSha256());
    for (SpecOverride o : overrides) {
      b.append('\n').append(o.key()).append('=').append(o.value());
    }
    return Digests.sha256(b.toString().getBytes(StandardCharsets.UTF_8));
  }
}
