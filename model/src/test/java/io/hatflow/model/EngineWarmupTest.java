package io.hatflow.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class EngineWarmupTest {
  @Test
  void pytorchLoadsOffline() {
    try (NDManager m = NDManager.newBaseManager()) {
      assertEquals(6f, m.create(new float[] {1, 2, 3}).sum().getFloat());
    }
  }
}
