package io.hatflow.core.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ComplexityTest {
  /** One encoder layer and one decoder layer, dims small enough to count by hand. */
  static final SubConfig ONE =
      new SubConfig(
          4, 1, List.of(8), List.of(2), 6, 1, List.of(10), List.of(2), List.of(1), List.of(-1));

  @Test
  void paramsByHand() {
    int q = 2;
    // encoder: attn 3*2*4 + 6 = 30; out 2*4 + 4 = 12; ln 8; fc1 4*8 + 8 = 40; fc2 8*4 + 4 = 36; ln
    // 8 -> 134
    // decoder: self 3*2*6 + 6 + 2*6 + 6 + 12 = 72; ende 2*6 + 2*2*4 + 6 + 2*6 + 6 + 12 = 64;
    //          fc1 6*10 + 10 = 70; fc2 10*6 + 6 = 66; ln 12 -> 148 -> 72 + 64 + 148 = 284
    assertEquals(134 + 284, Complexity.params(ONE, q));
  }

  @Test
  void flopsByHand() {
    int q = 2;
    // encoder, s=3: 3*4*6=72 + 2*9*2=36 + 3*2*4=24 + 2*3*4*8=192 -> 324
    // decoder, t=2, kv=3: self 2*6*6=72 + 2*4*2=16 + 2*2*6=24 -> 112; ende 2*6*2=24 + 2*3*4*2=48 +
    // 2*2*3*2=24 + 24 -> 120;
    //          ffn 2*2*6*10=240 -> 472
    assertEquals(2L * (324 + 472), Complexity.flops(ONE, q, 3, 2));
  }

  @Test
  void hatWmtSpaceFigures() {
    SearchSpace s = SearchSpace.preset("hat-wmt-space0");
    long big = Complexity.params(s.largest(), s.qkvDim());
    long small = Complexity.params(s.smallest(), s.qkvDim());
    assertTrue(big > small);
    // largest: 6 + 6 layers at 640 / 3072 with qkv 512, arbitrary attention reading three encoder
    // layers
    assertTrue(big > 60_000_000L && big < 80_000_000L, "params " + big);
    assertTrue(
        Complexity.flops(s.largest(), 512, 30, 30) > Complexity.flops(s.smallest(), 512, 30, 30));
  }

  @Test
  void inactiveLayersDoNotCount() {
    SearchSpace s = SearchSpace.preset("tiny");
    SubConfig a = s.smallest();
    assertEquals(Complexity.params(a.active(), s.qkvDim()), Complexity.params(a, s.qkvDim()));
  }
}
