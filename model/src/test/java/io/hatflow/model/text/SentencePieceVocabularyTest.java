package io.hatflow.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hatflow.core.text.SpecialTokens;
import org.junit.jupiter.api.Test;

class SentencePieceVocabularyTest {
  static byte[] charModel(String... chars) {
    return SentencePieceModels.charModel(java.util.List.of(chars));
  }

  @Test
  void shiftsIdsPastOurReservedOnesAndRoundTrips() {
    try (SentencePieceVocabulary v = SentencePieceVocabulary.fromBytes(charModel("a", "b", "c"))) {
      assertEquals(7 + SpecialTokens.COUNT, v.size());
      // pieces: 0 <unk>, 1 <s>, 2 </s>, 3 ▁, 4 a, 5 b, 6 c; ours are +4
      assertArrayEquals(new int[] {7, 8, 9, 7, 8, 10}, v.encode("ab ac"));
      assertEquals(
          "ab ac", v.decode(new int[] {SpecialTokens.BOS, 7, 8, 9, 7, 8, 10, SpecialTokens.EOS}));
      assertEquals("a", v.token(8));
      assertEquals(SpecialTokens.UNK_TOKEN, v.token(SpecialTokens.UNK));
      int[] unk = v.encode("az");
      assertEquals(SpecialTokens.UNK, unk[unk.length - 1]);
      assertEquals(64, v.digest().length());
    }
  }
}
