package io.hatflow.model.latency;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import org.junit.jupiter.api.Test;

class LatencyProtocolTest {

  /**
   * A fake subject that advances a fake clock: encoder run i takes (i+1) ms, decoder run i takes
   * 10*(i+1) ms.
   */
  static final class Fake implements LatencyProtocol.Subject {
    long now;
    int encodes;
    int decodes;

    @Override
    public void encode() {
      encodes++;
      now += encodes * 1_000_000L;
    }

    @Override
    public void decode() {
      decodes++;
      now += decodes * 10_000_000L;
    }

    int releases;

    /** Freeing a run takes a whole second: the figures below show it is never timed. */
    @Override
    public void release() {
      releases++;
      now += 1_000_000_000L;
    }
  }

  @Test
  void warmsUpTimesAndTrimsAsHat() {
    LatencyProtocol p = LatencyProtocol.hat(SearchSpace.preset("hat-wmt-space0"));
    assertEquals(30, p.tokens());
    assertEquals(5, p.beam());
    assertEquals(23, LatencyProtocol.hat(SearchSpace.preset("hat-iwslt-space1")).tokens());
    Fake f = new Fake();
    LatencyProtocol.Stats s = p.measure(f, () -> f.now);
    assertEquals(25, f.encodes);
    assertEquals(25, f.decodes);
    assertEquals(25, f.releases, "every run, warm-up included, is released");
    // timed runs are calls 6..25 (ms 6..25); dropping 2 lowest and 2 highest keeps 8..23, mean 15.5
    assertEquals(16, s.kept());
    assertEquals(15.5, s.meanEncoderMs(), 1e-9);
    assertEquals(155.0, s.meanDecoderMs(), 1e-9);
    double var = 0;
    for (int i = 8; i <= 23; i++) {
      var += (i - 15.5) * (i - 15.5);
    }
    assertEquals(Math.sqrt(var / 16), s.stdEncoderMs(), 1e-9);
    assertEquals(10 * Math.sqrt(var / 16), s.stdDecoderMs(), 1e-9);
  }

  @Test
  void trimming() {
    assertArrayEquals(
        new double[] {2, 3, 4, 5, 6, 7, 8, 9},
        LatencyProtocol.trimmed(new double[] {10, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 0.1));
    double[] in = {3, 1, 2};
    LatencyProtocol.trimmed(in, 0.1);
    assertArrayEquals(new double[] {3, 1, 2}, in);
    assertEquals(3, LatencyProtocol.trimmed(in, 0.1).length);
  }

  @Test
  void measuresARealModel() {
    SearchSpace tiny = SearchSpace.preset("tiny");
    try (NDManager m = NDManager.newBaseManager();
        SuperTransformer model =
            SuperTransformer.create(m, tiny.largest(), tiny.qkvDim(), 50, Dropouts.DEFAULT, 1)) {
      LatencyProtocol p = new LatencyProtocol(8, 5, 1, 3, 0.1);
      try (ModelLatencySubject s = new ModelLatencySubject(model, tiny.smallest(), p, 1)) {
        LatencyProtocol.Stats st = p.measure(s, System::nanoTime);
        assertTrue(st.meanEncoderMs() > 0 && st.meanDecoderMs() > 0);
        assertEquals(3, st.kept());
        int arrays = ((ai.djl.ndarray.BaseNDManager) model.manager()).getManagedArrays().size();
        p.measure(s, System::nanoTime);
        assertEquals(
            arrays, ((ai.djl.ndarray.BaseNDManager) model.manager()).getManagedArrays().size());
      }
    }
  }
}
