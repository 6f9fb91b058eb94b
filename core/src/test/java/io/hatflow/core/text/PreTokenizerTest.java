package io.hatflow.core.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PreTokenizerTest {
  private static final String M = PreTokenizer.MARKER;

  @Test
  void splitsWordsAndPunctuationMarkingSpaces() {
    assertEquals(
        List.of(M + "Hello", ",", M + "world", "!", M + "(", "x2", ")"),
        PreTokenizer.tokenize("Hello, world! (x2)"));
    assertEquals(List.of(M + "don", "'", "t"), PreTokenizer.tokenize("don't"));
    assertEquals(List.of(), PreTokenizer.tokenize(""));
  }

  @Test
  void roundTripsNormalisedText() {
    for (String raw :
        List.of(
            "Ein Mann , der  lächelt.",
            "\"Quoted\" -- and...",
            "x",
            " . a",
            "日本語 テキスト!",
            "e\u0301t\u00e9 \uD83D\uDE00 ok")) {
      String norm = Normalizer.normalize(raw);
      assertEquals(
          norm, PreTokenizer.detokenize(String.join("", PreTokenizer.tokenize(norm))), raw);
    }
  }
}
