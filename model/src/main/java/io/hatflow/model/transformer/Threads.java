package io.hatflow.model.transformer;

import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch thread settings. {@code at::set_num_threads} (JniUtils.setNumThreads) sets the intra-op
 * pool, and with OpenMP the count is a per-calling-thread setting: every thread that runs model
 * code (a training loop, each Beam DoFn instance) calls {@link #useIntraOp} itself before its first
 * op. Grad mode is thread-local in libtorch too; evaluation switches it off on its own thread.
 */
public final class Threads {
  private Threads() {}

  public static void useIntraOp(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("intra-op threads must be >= 1, got " + threads);
    }
    ai.djl.engine.Engine.getEngine("PyTorch"); // loads libtorch before the first JNI call
    if (JniUtils.getNumThreads() != threads) {
      JniUtils.setNumThreads(threads);
    }
  }

  public static void gradMode(boolean on) {
    ai.djl.engine.Engine.getEngine("PyTorch");
    JniUtils.setGradMode(on);
  }

  /** Intra-op threads per worker when {@code workers} share {@code cores}: at least 1. */
  public static int perWorker(int cores, int workers) {
    return Math.max(1, cores / Math.max(1, workers));
  }
}
