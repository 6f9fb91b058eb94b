package io.hatflow.core.run;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * With every module on the class path (here: the reactor's class directories), each anchor class
 * must load and name its own module, or a renamed class would silently drop that module's code out
 * of the stage-cache digest.
 */
class CodeDigestAnchorsTest {
  @Test
  void everyAnchorLoadsAndNamesItsOwnModule() {
    for (String name : CodeDigest.ANCHORS) {
      assertDoesNotThrow(() -> Class.forName(name, false, CodeDigest.class.getClassLoader()), name);
    }
    assertEquals(
        CodeDigest.ANCHORS.size(),
        CodeDigest.locations().size(),
        "locations " + CodeDigest.locations());
  }
}
