package io.hatflow.model.text;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.core.text.SubwordVocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A user's SentencePiece model (a {@code .model} file) as a {@link SubwordVocabulary}, through
 * DJL's SentencePiece binding (works offline: the native library is inside the jar).
 * SentencePiece's ids are shifted by {@link SpecialTokens#COUNT} so that ids 0..3 keep hatflow's
 * reserved meaning; SentencePiece's own unknown piece maps to {@link SpecialTokens#UNK}. Not
 * serialisable (a native handle): load it where it is used.
 */
public final class SentencePieceVocabulary implements SubwordVocabulary, AutoCloseable {
  private final SpTokenizer tokenizer;
  private final SpProcessor sp;
  private final int pieces;
  private final int spUnk;
  private final String digest;

  private SentencePieceVocabulary(byte[] model) {
    this.pieces = countPieces(model);
    if (pieces == 0) {
      throw new UserInputException("not a SentencePiece model: no pieces");
    }
    SpTokenizer t;
    try {
      t = new SpTokenizer(model);
    } catch (RuntimeException e) { // the native loader's parse error
      throw new UserInputException("not a SentencePiece model: " + e.getMessage(), e);
    }
    this.tokenizer = t;
    this.sp = tokenizer.getProcessor();
    this.spUnk = sp.getId("<unk>");
    this.digest = io.hatflow.core.run.Digests.sha256(model);
  }

  public static SentencePieceVocabulary load(Path modelFile) throws IOException {
    if (!Files.isRegularFile(modelFile)) {
      throw new UserInputException("SentencePiece model not found: " + modelFile);
    }
    try {
      return new SentencePieceVocabulary(Files.readAllBytes(modelFile));
    } catch (IllegalArgumentException e) {
      throw new UserInputException(modelFile + ": " + e.getMessage(), e);
    }
  }

  public static SentencePieceVocabulary fromBytes(byte[] model) {
    return new SentencePieceVocabulary(model);
  }

  @Override
  public int[] encode(String normalizedText) {
    int[] ids = sp.encode(normalizedText);
    for (int i = 0; i < ids.length; i++) {
      ids[i] = ids[i] == spUnk ? SpecialTokens.UNK : ids[i] + SpecialTokens.COUNT;
    }
    return ids;
  }

  @Override
  public String decode(int[] ids) {
    int n = 0;
    int[] spIds = new int[ids.length];
    for (int id : ids) {
      if (id >= SpecialTokens.COUNT && id < size()) {
        spIds[n++] = id - SpecialTokens.COUNT;
      }
    }
    return sp.decode(java.util.Arrays.copyOf(spIds, n));
  }

  @Override
  public int size() {
    return pieces + SpecialTokens.COUNT;
  }

  @Override
  public String token(int id) {
    return switch (id) {
      case SpecialTokens.BOS -> SpecialTokens.BOS_TOKEN;
      case SpecialTokens.PAD -> SpecialTokens.PAD_TOKEN;
      case SpecialTokens.EOS -> SpecialTokens.EOS_TOKEN;
      case SpecialTokens.UNK -> SpecialTokens.UNK_TOKEN;
      default -> sp.getToken(id - SpecialTokens.COUNT);
    };
  }

  @Override
  public String digest() {
    return digest;
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  /** Number of pieces: occurrences of ModelProto field 1 (length-delimited) at the top level. */
  static int countPieces(byte[] b) {
    int i = 0;
    int count = 0;
    while (i < b.length) {
      long[] tag = varint(b, i);
      i = (int) tag[1];
      int field = (int) (tag[0] >>> 3);
      int wire = (int) (tag[0] & 7);
      switch (wire) {
        case 0 -> i = (int) varint(b, i)[1];
        case 1 -> i += 8;
        case 5 -> i += 4;
        case 2 -> {
          long[] len = varint(b, i);
          i = (int) len[1] + (int) len[0];
          if (field == 1) {
            count++;
          }
        }
        default ->
            throw new UserInputException(
                "not a SentencePiece model (protobuf wire type " + wire + ")");
      }
      if (i > b.length) {
        throw new UserInputException("not a SentencePiece model (truncated)");
      }
    }
    return count;
  }

  private static long[] varint(byte[] b, int i) {
    long v = 0;
    int shift = 0;
    while (true) {
      if (i >= b.length || shift > 63) {
        throw new UserInputException("not a SentencePiece model (bad varint)");
      }
      int x = b[i++];
      v |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        return new long[] {v, i};
      }
      shift += 7;
    }
  }
}
