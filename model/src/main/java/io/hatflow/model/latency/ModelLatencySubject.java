package io.hatflow.model.latency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.hatflow.core.space.SubConfig;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.model.transformer.SuperTransformer;
import io.hatflow.model.transformer.Threads;

/**
 * The real subject of {@link LatencyProtocol} on this machine: HAT's dummy source {@code [EOS, 7,
 * 7, ...]} of the protocol's length, the encoder once, then the decoder state expanded to the beam
 * and {@code tokens} incremental steps feeding token 7 (HAT times the decoder on dummy previous
 * tokens, without search logic). Not thread-safe; {@link #close()} frees its arrays.
 */
public final class ModelLatencySubject implements LatencyProtocol.Subject, AutoCloseable {
  private final SuperTransformer model;
  private final SubConfig config;
  private final LatencyProtocol protocol;
  private NDManager run;
  private SuperTransformer.Encoded encoded;

  public ModelLatencySubject(
      SuperTransformer model, SubConfig config, LatencyProtocol protocol, int threads) {
    model.check(config);
    this.model = model;
    this.config = config;
    this.protocol = protocol;
    Threads.useIntraOp(threads);
    Threads.gradMode(false);
  }

  @Override
  public void encode() {
    release();
    run = model.manager().newSubManager();
    long[] src = new long[protocol.tokens()];
    java.util.Arrays.fill(src, 7);
    src[0] = SpecialTokens.EOS;
    // intermediates are freed by the scope; the outputs the decoder needs move to this run's
    // manager
    try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
      scope.suppressNotUsedWarning();
      encoded = model.encode(config, run.create(src, new Shape(1, src.length)), false);
      encoded.layers().get(encoded.layers().size() - 1).toFloatArray(); // wait for the result
      for (NDArray a : encoded.layers()) {
        ai.djl.ndarray.NDScope.unregister(a);
        a.attach(run);
      }
      ai.djl.ndarray.NDScope.unregister(encoded.padMask());
      encoded.padMask().attach(run);
    }
  }

  @Override
  public void decode() {
    try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
      scope.suppressNotUsedWarning();
      SuperTransformer.DecoderState st = model.startDecoding(config, encoded);
      st.reorder(run.zeros(new Shape(protocol.beam()), DataType.INT64));
      long[] tok = new long[protocol.beam()];
      java.util.Arrays.fill(tok, 7);
      NDArray last = null;
      for (int t = 0; t < protocol.tokens(); t++) {
        last = model.step(st, run.create(tok));
      }
      last.toFloatArray();
    }
  }

  @Override
  public void release() {
    if (run != null) {
      run.close();
      run = null;
    }
  }

  @Override
  public void close() {
    release();
  }
}
