package io.hatflow.core.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HypervolumeTest {
  static double[] p(double x, double y) {
    return new double[] {x, y};
  }

  @Test
  void exactAreasOfHandMadeFronts() {
    // [0.2,1]x[0.8,1] = 0.16 plus [0.5,1]x[0.3,0.8] = 0.25 (the union of the two boxes).
    assertEquals(0.41, Hypervolume.of2d(List.of(p(0.2, 0.8), p(0.5, 0.3)), 1, 1), 1e-12);
    // A dominated point, a point beyond the reference and one on its edge add nothing.
    assertEquals(
        0.41,
        Hypervolume.of2d(
            List.of(
                p(0.5, 0.3),
                p(0.6, 0.9),
                p(1.2, 0.0),
                p(1.0, 0.1),
                p(0.2, 0.8),
                p(Double.NaN, 0.1)),
            1,
            1),
        1e-12);
    // Reference (1.1, 1.1): 0.9 x 0.3 + 0.6 x 0.5.
    assertEquals(0.57, Hypervolume.of2d(List.of(p(0.2, 0.8), p(0.5, 0.3)), 1.1, 1.1), 1e-12);
    assertEquals(1.21, Hypervolume.of2d(List.of(p(0, 0)), 1.1, 1.1), 1e-12);
    assertEquals(0, Hypervolume.of2d(List.of(), 1.1, 1.1));
    // Three steps: 0.9*0.1 + 0.6*0.6 + 0.2*0.3 (by strips of x: 0.3*0.1 + 0.4*0.7 + 0.2*1).
    assertEquals(
        0.09 + 0.36 + 0.06,
        Hypervolume.of2d(List.of(p(0.8, 0.0), p(0.1, 0.9), p(0.4, 0.3)), 1, 1),
        1e-12);
  }

  @Test
  void normalisedByTheBoundsAndIndependentOfOrder() {
    Hypervolume.Bounds b = new Hypervolume.Bounds(2, 4, 10, 30);
    List<Pareto.Point> pts =
        new ArrayList<>(List.of(new Pareto.Point("a", 2.4, 26), new Pareto.Point("b", 3, 16)));
    assertEquals(0.57, Hypervolume.of(pts, b, Hypervolume.Reference.DEFAULT), 1e-12);
    Random r = new Random(1);
    for (int i = 0; i < 50; i++) {
      pts.add(new Pareto.Point("r" + i, 2 + 2 * r.nextDouble(), 10 + 20 * r.nextDouble()));
    }
    double hv = Hypervolume.of(pts, b, Hypervolume.Reference.DEFAULT);
    Collections.shuffle(pts, new Random(2));
    assertEquals(hv, Hypervolume.of(pts, b, Hypervolume.Reference.DEFAULT));
    // Only the frontier matters.
    assertEquals(hv, Hypervolume.of(Pareto.frontier(pts), b, Hypervolume.Reference.DEFAULT), 1e-12);
    assertTrue(hv > 0.57 && hv <= 1.21);
    assertEquals(
        0.5, new Hypervolume.Bounds(3, 3, 0, 1).loss(3.5), "a zero-width range shifts only");
    assertArrayEquals(
        new double[] {2.0, 5.0}, Hypervolume.lossRange(List.of(3.0, Double.NaN, 5.0, 2.0)));
    assertTrue(Double.isNaN(Hypervolume.lossRange(List.of(Double.NaN))[0]));
  }

  @Test
  void theReferenceMustBeDominatedByTheWholeBox() {
    assertNull(Hypervolume.Reference.DEFAULT.problem());
    assertNull(new Hypervolume.Reference(1.01, 2).problem());
    for (Hypervolume.Reference bad :
        List.of(
            new Hypervolume.Reference(1, 1.1),
            new Hypervolume.Reference(1.1, 0.5),
            new Hypervolume.Reference(Double.NaN, 2),
            new Hypervolume.Reference(2, Double.POSITIVE_INFINITY))) {
      assertNotNull(bad.problem(), bad.toString());
      assertTrue(bad.problem().startsWith("search.hv_reference"), bad.problem());
    }
  }
}
