package io.hatflow.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hatflow.core.text.SpecialTokens;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SentencePieceVocabularyTest {
  /** A hand-built CHAR model: <unk>, <s>, </s>, then the word boundary and a few letters. */
  static byte[] charModel(String... chars) {
    ByteArrayOutputStream m = new ByteArrayOutputStream();
    piece(m, "<unk>", 0f, 2);
    piece(m, "<s>", 0f, 3);
    piece(m, "</s>", 0f, 3);
    piece(m, "\u2581", -1f, 1);
    for (int i = 0; i < chars.length; i++) {
      piece(m, chars[i], -2f - i, 1);
    }
    ByteArrayOutputStream trainer = new ByteArrayOutputStream();
    trainer.write(3 << 3); // model_type = CHAR (4)
    trainer.write(4);
    field(m, 2, trainer.toByteArray());
    ByteArrayOutputStream norm = new ByteArrayOutputStream();
    field(norm, 1, "identity".getBytes(StandardCharsets.UTF_8));
    field(m, 3, norm.toByteArray());
    return m.toByteArray();
  }

  static void piece(ByteArrayOutputStream m, String s, float score, int type) {
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    field(p, 1, s.getBytes(StandardCharsets.UTF_8));
    p.write((2 << 3) | 5);
    p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(score).array());
    p.write(3 << 3);
    p.write(type);
    field(m, 1, p.toByteArray());
  }

  static void field(ByteArrayOutputStream out, int field, byte[] bytes) {
    out.write((field << 3) | 2);
    int n = bytes.length;
    while (n >= 0x80) {
      out.write((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.write(n);
    out.writeBytes(bytes);
  }

  @Test
  void shiftsIdsPastOurReservedOnesAndRoundTrips() {
    try (SentencePieceVocabulary v = SentencePieceVocabulary.fromBytes(charModel("a", "b", "c"))) {
      assertEquals(7 + SpecialTokens.COUNT, v.size());
      // pieces: 0 <unk>, 1 <s>, 2 </s>, 3 ▁, 4 a, 5 b, 6 c; ours are +4
      assertArrayEquals(new int[] {7, 8, 9, 7, 8, 10}, v.encode("ab ac"));
      assertEquals("ab ac", v.decode(new int[] {SpecialTokens.BOS, 7, 8, 9, 7, 8, 10, SpecialTokens.EOS}));
      assertEquals("a", v.token(8));
      assertEquals(SpecialTokens.UNK_TOKEN, v.token(SpecialTokens.UNK));
      int[] unk = v.encode("az");
      assertEquals(SpecialTokens.UNK, unk[unk.length - 1]);
      assertEquals(64, v.digest().length());
    }
  }
}
