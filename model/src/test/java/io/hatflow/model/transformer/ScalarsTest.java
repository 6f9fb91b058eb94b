package io.hatflow.model.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A scalar factor must survive garbage collection between forward and backward: DJL's own {@code
 * mul(Number)} frees it (see {@link Scalars}) and the gradient then reads whatever reused that
 * memory.
 */
class ScalarsTest {
  static float[] gradAfterCollection(UnaryOperator<NDArray> f) throws InterruptedException {
    Threads.useIntraOp(1);
    try (NDManager m = NDManager.newBaseManager();
        NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray x = m.create(new float[] {1f, 2f, 3f});
      x.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray y = f.apply(x).sum();
        clobberFreedDirectMemory();
        gc.backward(y);
      }
      return x.getGradient().toFloatArray();
    }
  }

  /**
   * Collects unreachable direct buffers, then refills small native allocations with a poison value.
   */
  static void clobberFreedDirectMemory() throws InterruptedException {
    for (int round = 0; round < 3; round++) {
      System.gc();
      Thread.sleep(50);
    }
    List<ByteBuffer> keep = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
      b.putFloat(0, 1e30f);
      keep.add(b);
    }
    keep.clear();
  }

  @Test
  void timesKeepsItsFactorForTheBackwardPass() throws Exception {
    assertArrayEquals(
        new float[] {0.125f, 0.125f, 0.125f},
        gradAfterCollection(x -> Scalars.times(x, 0.125)),
        0f);
  }

  @Test
  void overKeepsItsDivisorForTheBackwardPass() throws Exception {
    assertArrayEquals(
        new float[] {0.25f, 0.25f, 0.25f}, gradAfterCollection(x -> Scalars.over(x, 4)), 0f);
  }
}
