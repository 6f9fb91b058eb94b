package io.hatflow.model.latency;

import io.hatflow.core.text.SpecialTokens;
import io.hatflow.model.decode.DecoderEngine;
import java.util.Arrays;

/**
 * {@link LatencyProtocol}'s subject on any {@link DecoderEngine} (ONNX Runtime fp32/int8 exports):
 * HAT's dummy source {@code [EOS, 7, 7, ...]}, the encoder once, then the state expanded to the
 * beam and {@code tokens} incremental steps feeding token 7, as {@link ModelLatencySubject} does
 * for DJL. An exported encoder also projects the encoder-decoder keys/values (DJL does that when
 * decoding starts), so compare encoder + decoder sums across engines. Not thread-safe; close it.
 */
public final class EngineLatencySubject implements LatencyProtocol.Subject, AutoCloseable {
  private final DecoderEngine engine;
  private final LatencyProtocol protocol;
  private DecoderEngine.Decoding decoding;

  public EngineLatencySubject(DecoderEngine engine, LatencyProtocol protocol) {
    this.engine = engine;
    this.protocol = protocol;
  }

  @Override
  public void encode() {
    close();
    long[] src = new long[protocol.tokens()];
    Arrays.fill(src, 7);
    src[0] = SpecialTokens.EOS;
    decoding = engine.start(src);
  }

  @Override
  public void decode() {
    if (decoding == null) {
      throw new IllegalStateException("decode() before encode()");
    }
    decoding.reorder(new long[protocol.beam()]);
    long[] tok = new long[protocol.beam()];
    Arrays.fill(tok, 7);
    for (int t = 0; t < protocol.tokens(); t++) {
      decoding.step(tok);
    }
  }

  @Override
  public void release() {
    close();
  }

  @Override
  public void close() {
    if (decoding != null) {
      decoding.close();
      decoding = null;
    }
  }
}
