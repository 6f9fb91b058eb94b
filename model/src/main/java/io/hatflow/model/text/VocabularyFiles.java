package io.hatflow.model.text;

import io.hatflow.core.run.UserInputException;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.core.text.SubwordVocabulary;
import io.hatflow.core.text.Vocabulary;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The files of a vocabulary directory (prepare's {@code vocab/}): either our BPE ({@value
 * Vocabulary#VOCAB_FILE} and {@value Vocabulary#MERGES_FILE}) or a user's SentencePiece model
 * ({@value #SENTENCEPIECE_FILE}). Only bytes, so it is serialisable and can travel as a Beam side
 * input where a {@link SentencePieceVocabulary} (a native handle) cannot; {@link #open} makes the
 * {@link SubwordVocabulary} where it is used. Immutable.
 */
public final class VocabularyFiles implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * The SentencePiece model's name inside a vocabulary directory, whatever it was called where it
   * came from.
   */
  public static final String SENTENCEPIECE_FILE = "sentencepiece.model";

  /** Which kind of vocabulary the files hold. */
  public enum Kind {
    BPE,
    SENTENCEPIECE
  }

  private final Kind kind;

  /** BPE: vocab.txt, merges.txt; SentencePiece: the model. */
  private final byte[] first;

  private final byte[] second;
  private final int size;
  private final String digest;

  private VocabularyFiles(Kind kind, byte[] first, byte[] second, int size, String digest) {
    this.kind = kind;
    this.first = first;
    this.second = second;
    this.size = size;
    this.digest = digest;
  }

  /** Our BPE vocabulary's two files. */
  public static VocabularyFiles of(Vocabulary v) {
    return new VocabularyFiles(Kind.BPE, v.vocabBytes(), v.mergesBytes(), v.size(), v.digest());
  }

  /** Our BPE vocabulary from the contents of its two files; {@code where} names them in errors. */
  public static VocabularyFiles bpe(byte[] vocab, byte[] merges, String where) {
    return of(Vocabulary.fromBytes(vocab, merges, where));
  }

  /**
   * A SentencePiece model's bytes, checked by loading it once.
   *
   * @throws IllegalArgumentException when the bytes are not a SentencePiece model
   */
  public static VocabularyFiles sentencePiece(byte[] model) {
    try (SentencePieceVocabulary v = SentencePieceVocabulary.fromBytes(model)) {
      return new VocabularyFiles(Kind.SENTENCEPIECE, model.clone(), null, v.size(), v.digest());
    }
  }

  /** Whether {@code dir} holds a vocabulary of either kind. */
  public static boolean isVocabularyDir(Path dir) {
    return Files.isRegularFile(dir.resolve(SENTENCEPIECE_FILE))
        || Files.isRegularFile(dir.resolve(Vocabulary.VOCAB_FILE));
  }

  /**
   * Reads a local vocabulary directory: {@value #SENTENCEPIECE_FILE} if present, else our BPE
   * files.
   *
   * @throws IllegalArgumentException when the directory holds neither, naming it
   */
  public static VocabularyFiles read(Path dir) throws IOException {
    Path sp = dir.resolve(SENTENCEPIECE_FILE);
    if (Files.isRegularFile(sp)) {
      try {
        return sentencePiece(Files.readAllBytes(sp));
      } catch (IllegalArgumentException e) {
        throw new UserInputException(sp + ": " + e.getMessage(), e);
      }
    }
    return of(Vocabulary.load(dir));
  }

  /**
   * The vocabulary in a local directory, of whichever kind; close it when done (SentencePiece holds
   * native memory).
   */
  public static SubwordVocabulary load(Path dir) throws IOException {
    return read(dir).open();
  }

  /** A new vocabulary over these files; the caller closes it. */
  public SubwordVocabulary open() {
    return kind == Kind.BPE
        ? Vocabulary.fromBytes(first, second, "vocabulary")
        : SentencePieceVocabulary.fromBytes(first);
  }

  /** File name to content, as they are written into a vocabulary directory. */
  public Map<String, byte[]> files() {
    Map<String, byte[]> m = new LinkedHashMap<>();
    if (kind == Kind.BPE) {
      m.put(Vocabulary.VOCAB_FILE, first.clone());
      m.put(Vocabulary.MERGES_FILE, second.clone());
    } else {
      m.put(SENTENCEPIECE_FILE, first.clone());
    }
    return m;
  }

  public Kind kind() {
    return kind;
  }

  /** Number of ids, our reserved {@value SpecialTokens#COUNT} included. */
  public int size() {
    return size;
  }

  /**
   * The vocabulary's digest: {@link Vocabulary#digest()} for BPE, the model file's SHA-256 for
   * SentencePiece.
   */
  public String digest() {
    return digest;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VocabularyFiles f
        && f.kind == kind
        && f.digest.equals(digest)
        && Arrays.equals(f.first, first)
        && Arrays.equals(f.second, second);
  }

  @Override
  public int hashCode() {
    return digest.hashCode();
  }

  @Override
  public String toString() {
    return "VocabularyFiles{"
        + kind
        + ", size="
        + size
        + ", digest="
        + digest.substring(0, 12)
        + "}";
  }
}
