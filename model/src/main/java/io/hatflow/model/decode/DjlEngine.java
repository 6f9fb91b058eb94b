package io.hatflow.model.decode;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.transformer.SuperTransformer;
import io.hatflow.model.transformer.Threads;

/**
 * The DJL engine: a SuperTransformer (inherited weights) or an extracted model, with the SubConfig
 * to run.
 */
public final class DjlEngine implements DecoderEngine {
  private final SuperTransformer model;
  private final SubConfig config;

  public DjlEngine(SuperTransformer model, SubConfig config) {
    model.check(config);
    this.model = model;
    this.config = config;
  }

  @Override
  public Decoding start(long[] source) {
    Threads.gradMode(false); // thread-local in libtorch: set on the decoding thread
    return new DjlDecoding(source);
  }

  private final class DjlDecoding implements Decoding {
    // every intermediate array of this decoding belongs to the scope (ops attach results to the
    // weights' manager)
    private final NDScope scope = new NDScope();
    private final NDManager m = model.manager().newSubManager();
    private final SuperTransformer.DecoderState st;

    DjlDecoding(long[] source) {
      scope.suppressNotUsedWarning();
      st =
          model.startDecoding(
              config, model.encode(config, m.create(source, new Shape(1, source.length)), false));
    }

    @Override
    public float[] step(long[] prev) {
      return model.step(st, m.create(prev)).logSoftmax(-1).toFloatArray();
    }

    @Override
    public void reorder(long[] order) {
      st.reorder(m.create(order));
    }

    @Override
    public void close() {
      m.close();
      scope.close();
    }
  }
}
