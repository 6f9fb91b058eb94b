package io.hatflow.model.decode;

/**
 * What {@link SequenceGenerator} searches over: an encoder and an incremental decoder step, run by
 * DJL ({@link DjlEngine}) or by ONNX Runtime ({@link OnnxTranslator}). One source sentence per
 * decoding.
 */
public interface DecoderEngine {
  /**
   * Encodes one source (ids ending with EOS) and starts decoding it with a single hypothesis row.
   */
  Decoding start(long[] source);

  /**
   * The decoder state of one source: cached self-attention keys/values and the encoder-side
   * keys/values.
   */
  interface Decoding extends AutoCloseable {
    /**
     * Log-probabilities {@code [rows * vocab]} of the next token after each row's previous token
     * {@code prev}.
     */
    float[] step(long[] prev);

    /**
     * Keeps rows {@code order} of every cache, in that order (beam reordering; the row count may
     * change).
     */
    void reorder(long[] order);

    @Override
    void close();
  }
}
