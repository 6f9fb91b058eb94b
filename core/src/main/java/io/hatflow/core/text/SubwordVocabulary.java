package io.hatflow.core.text;

/**
 * A subword vocabulary as the rest of hatflow sees it: our own BPE ({@link Vocabulary}) or an
 * adapter for a vocabulary brought by the user (SentencePiece, in the model module). Ids 0..3 are
 * {@link SpecialTokens}. Closeable because an adapter may hold a native handle; closing ours does
 * nothing.
 */
public interface SubwordVocabulary extends AutoCloseable {
  /** Subword ids of already normalised text ({@link Normalizer#normalize}), without BOS/EOS. */
  int[] encode(String normalizedText);

  /** Text of the ids; special ids (BOS, PAD, EOS, UNK) are skipped. */
  String decode(int[] ids);

  /** Number of ids, special ids included. */
  int size();

  /** The string of one id (special ids give their reserved names). */
  String token(int id);

  /** Hex SHA-256 identifying the vocabulary's content, for lineage. */
  String digest();

  /** Releases native resources, if any; the vocabulary must not be used afterwards. */
  @Override
  default void close() {}
}
