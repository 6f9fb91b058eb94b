package io.hatflow.model.text;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes minimal SentencePiece models without {@code spm_train} (which neither DJL binding can
 * run): a CHAR model over given characters, serialised as SentencePiece's {@code ModelProto}. Meant
 * for tests and small character-level vocabularies; a real subword model comes from the user.
 */
public final class SentencePieceModels {
  private SentencePieceModels() {}

  /**
   * A CHAR model: pieces {@code <unk>}, {@code <s>}, {@code </s>}, the word boundary {@code ▁},
   * then {@code chars} in order (so piece {@code 4 + i} is {@code chars.get(i)}), identity
   * normalisation.
   */
  public static byte[] charModel(List<String> chars) {
    ByteArrayOutputStream m = new ByteArrayOutputStream();
    piece(m, "<unk>", 0f, 2);
    piece(m, "<s>", 0f, 3);
    piece(m, "</s>", 0f, 3);
    piece(m, "\u2581", -1f, 1);
    for (int i = 0; i < chars.size(); i++) {
      piece(m, chars.get(i), -2f - i, 1);
    }
    ByteArrayOutputStream trainer = new ByteArrayOutputStream();
    trainer.write(3 << 3); // TrainerSpec.model_type = CHAR (4)
    trainer.write(4);
    field(m, 2, trainer.toByteArray());
    ByteArrayOutputStream norm = new ByteArrayOutputStream();
    field(norm, 1, "identity".getBytes(StandardCharsets.UTF_8));
    field(m, 3, norm.toByteArray());
    return m.toByteArray();
  }

  /** One {@code SentencePiece} message (piece, score, type) as field 1 of the model. */
  private static void piece(ByteArrayOutputStream m, String s, float score, int type) {
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    field(p, 1, s.getBytes(StandardCharsets.UTF_8));
    p.write((2 << 3) | 5);
    p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(score).array());
    p.write(3 << 3);
    p.write(type);
    field(m, 1, p.toByteArray());
  }

  private static void field(ByteArrayOutputStream out, int field, byte[] bytes) {
    out.write((field << 3) | 2);
    int n = bytes.length;
    while (n >= 0x80) {
      out.write((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.write(n);
    out.writeBytes(bytes);
  }
}
