package io.hatflow.core.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NormalizerTest {
  @Test
  void composesCollapsesAndTrims() {
    // "e" + combining acute becomes the single precomposed code point
    assertEquals(
        "caf\u00e9 au lait", Normalizer.normalize("  cafe\u0301 \t au\u00a0\u00a0lait \n"));
  }

  @Test
  void removesControlCharactersWithoutSplittingWords() {
    assertEquals("abc d", Normalizer.normalize("a\u0000b\u0007c\r\nd\u0085"));
  }

  @Test
  void mapsTheWordMarkerAwayAndKeepsEmptyEmpty() {
    assertEquals("a_b", Normalizer.normalize("a" + PreTokenizer.MARKER + "b"));
    assertEquals("", Normalizer.normalize(" \t\u2028 "));
  }
}
