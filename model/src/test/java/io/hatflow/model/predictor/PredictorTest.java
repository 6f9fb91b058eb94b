package io.hatflow.model.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.latency.Split;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fits every model on HAT's bundled Xeon dataset with HAT's seed-0 split. */
class PredictorTest {
  static LatencyTable table;
  static Split split;
  static final Map<String, FitResult> FITS = new HashMap<>();

  @TempDir Path tmp;

  static Path testdata() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("testdata"))) {
        return p.resolve("testdata");
      }
    }
    throw new IllegalStateException("no testdata/");
  }

  /**
   * HAT's MLP shape and normalisation, narrower and with a larger step so the test trains in
   * seconds.
   */
  static final HatMlpPredictor.Config SMALL_MLP =
      new HatMlpPredictor.Config(
          HatMlpPredictor.Config.hat().featureNorm(), 300, 64, 3, 400, 128, 1e-3);

  static int torchThreads;

  @BeforeAll
  static void load() {
    // one libtorch thread: on a busy 2-core machine two spinning threads make the MLP fit ~10x
    // slower
    ai.djl.engine.Engine.getInstance();
    torchThreads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
    ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
    table = LatencyCsv.read(testdata().resolve("latency/wmt14ende_cpu_xeon_all.csv"));
    split =
        Split.read(testdata().resolve("latency/wmt14ende_cpu_xeon_seed0_split.json"), table.size());
  }

  @AfterAll
  static void restoreThreads() {
    ai.djl.pytorch.jni.JniUtils.setNumThreads(torchThreads);
  }

  static synchronized FitResult fit(String model) {
    return FITS.computeIfAbsent(model, m -> PredictorFit.fit(table, split, m, 0, SMALL_MLP));
  }

  @Test
  void linearIsSane() {
    Metrics m = fit("linear").test();
    assertEquals(200, m.n());
    assertTrue(m.rmseMs() > 10 && m.rmseMs() < 20, m.toJson());
    assertTrue(m.mapdPct() < 6 && m.kendallTau() > 0.85 && m.r2() > 0.95, m.toJson());
  }

  @Test
  void defaultBeatsLinearOnTheTestRows() {
    FitResult def = fit(PredictorFit.DEFAULT_MODEL);
    FitResult lin = fit("linear");
    assertTrue(
        def.test().rmseMs() < lin.test().rmseMs(),
        def.test().toJson() + " vs " + lin.test().toJson());
    assertTrue(
        def.test().mapdPct() < lin.test().mapdPct(),
        def.test().toJson() + " vs " + lin.test().toJson());
    assertTrue(def.selection().contains("chose depth"), def.selection());
  }

  @Test
  void gbdtAndPhysLinearAreSane() {
    for (String m : new String[] {"gbdt", "phys-linear"}) {
      Metrics t = fit(m).test();
      assertTrue(t.rmseMs() < 20 && t.mapdPct() < 6 && t.kendallTau() > 0.85, m + " " + t.toJson());
    }
  }

  @Test
  void hatMlpTrains() {
    FitResult r = fit("hat-mlp");
    // an untrained net predicts about a constant (RMSE ~100 ms, tau ~0 on these rows)
    assertTrue(r.test().rmseMs() < 40 && r.test().kendallTau() > 0.7, r.test().toJson());
    assertEquals(300, r.predictor().params().get("lat_norm").asDouble());
  }

  @Test
  void unknownModelIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> PredictorFit.fit(table, split, "svm", 0));
    assertTrue(e.getMessage().contains("phys-gbdt"), e.getMessage());
  }

  @Test
  void saveLoadGivesIdenticalPredictions() {
    double[][] x = LatencyTable.features(table.rows());
    for (String m :
        new String[] {
          "linear", "hat-mlp", PredictorFit.DEFAULT_MODEL, "gbdt", PredictorFit.BLEND_MODEL
        }) {
      FitResult r = fit(m);
      Path dir = tmp.resolve(m);
      PredictorIO.save(dir, r, new PredictorMeta("hat-wmt-space0", "cpu_xeon", "xeon.csv", ""));
      PredictorIO.Loaded back = PredictorIO.load(dir, "hat-wmt-space0");
      assertEquals(m, back.predictor().name());
      assertArrayEquals(r.predictor().predictBatch(x), back.predictor().predictBatch(x), m);
      assertEquals(r.predictor().predictMs(x[7]), back.predictor().predictMs(x[7]), m);
      assertEquals(
          r.test().rmseMs(),
          back.metrics().get("test").get("rmse_ms").asDouble(),
          1e-4 * r.test().rmseMs());
      assertEquals("cpu_xeon", back.meta().target());
    }
  }

  @Test
  void theMlpBlendChoosesAGridWeightOnValidAndSavesAndLoadsIdentically() {
    FitResult fitted = fit(PredictorFit.BLEND_MODEL);
    GbdtPredictor trees = ((BlendPredictor) fitted.predictor()).trees();
    assertTrue(fitted.selection().contains("chose MLP weight"), fitted.selection());
    double[][] x = LatencyTable.features(table.select(split.train()));
    double[] y = LatencyTable.targetsMs(table.select(split.train()));
    double[][] xv = LatencyTable.features(table.select(split.valid()));
    double[] yv = LatencyTable.targetsMs(table.select(split.valid()));
    BlendPredictor b = PredictorFit.blend(trees, x, y, xv, yv, 0);
    assertTrue(
        java.util.Arrays.stream(PredictorFit.BLEND_WEIGHTS).anyMatch(w -> w == b.mlpWeight()),
        b.note());
    // weight 0 is in the grid, so the chosen blend is never worse than the trees on the valid rows'
    // RMSE
    assertTrue(rmse(b.predictBatch(xv), yv) <= rmse(trees.predictBatch(xv), yv) + 1e-9, b.note());
    // the MLP alone has learnt latency (a constant predictor has RMSE ~100 ms here)
    assertTrue(rmse(b.withWeight(1).predictBatch(xv), yv) < 40, b.note());
    // deterministic: the same seed gives the same MLP
    assertArrayEquals(
        b.withWeight(1).predictBatch(xv),
        PredictorFit.blend(trees, x, y, xv, yv, 0).withWeight(1).predictBatch(xv));
    BlendPredictor half = b.withWeight(0.5);
    Path dir = tmp.resolve("blend");
    PredictorIO.save(
        dir, half, new PredictorMeta("hat-wmt-space0", "cpu_xeon", "xeon.csv", ""), null);
    PredictorIO.Loaded back = PredictorIO.load(dir, "hat-wmt-space0");
    assertEquals(PredictorFit.BLEND_MODEL, back.predictor().name());
    assertTrue(back.predictor() instanceof BlendPredictor);
    assertEquals(0.5, back.document().get("params").get("blend").get("mlp_weight").asDouble());
    double[][] all = LatencyTable.features(table.rows());
    assertArrayEquals(half.predictBatch(all), back.predictor().predictBatch(all));
  }

  private static double rmse(double[] p, double[] y) {
    double s = 0;
    for (int i = 0; i < y.length; i++) {
      s += (p[i] - y[i]) * (p[i] - y[i]);
    }
    return Math.sqrt(s / y.length);
  }

  @Test
  void aSmallDataFitNeverPredictsFasterThanItsFastestRowAndKeepsThatFloorWhenSaved() {
    // A few dozen rows, as a quick measurement on this machine gives: the linear fallback.
    int[] tr = java.util.stream.IntStream.range(0, 20).map(i -> i * 37).toArray();
    int[] va = java.util.stream.IntStream.range(0, 5).map(i -> i * 37 + 1).toArray();
    int[] te = java.util.stream.IntStream.range(0, 5).map(i -> i * 37 + 2).toArray();
    FitResult r =
        PredictorFit.fit(table, new Split("small", tr, va, te), PredictorFit.DEFAULT_MODEL, 0);
    double fastest =
        java.util.Arrays.stream(LatencyTable.targetsMs(table.select(tr))).min().orElseThrow();
    double[][] x = LatencyTable.features(table.rows());
    double[] shrunk = x[0].clone();
    java.util.Arrays.fill(
        shrunk, 0.0); // far below any config: an unfloored fit extrapolates to any value here
    for (double p : r.predictor().predictBatch(x)) {
      assertTrue(p >= fastest, p + " < " + fastest);
    }
    assertTrue(r.predictor().predictMs(shrunk) >= fastest);
    Path dir = tmp.resolve("small");
    PredictorIO.save(dir, r, new PredictorMeta("hat-wmt-space0", "cpu_xeon", "xeon.csv", ""));
    assertArrayEquals(
        r.predictor().predictBatch(x),
        PredictorIO.load(dir, "hat-wmt-space0").predictor().predictBatch(x));
    assertEquals(
        r.predictor().predictMs(shrunk),
        PredictorIO.load(dir, "hat-wmt-space0").predictor().predictMs(shrunk));
  }

  @Test
  void loadRefusesAnotherFeatureSetOrSpace() throws IOException {
    Path dir = tmp.resolve("p");
    PredictorIO.save(dir, fit("linear"), new PredictorMeta("hat-wmt-space0", "cpu_xeon", "", ""));
    IllegalArgumentException space =
        assertThrows(
            IllegalArgumentException.class, () -> PredictorIO.load(dir, "hat-iwslt-space1"));
    assertTrue(
        space.getMessage().contains("'hat-wmt-space0', not 'hat-iwslt-space1'"),
        space.getMessage());

    Path json = dir.resolve(PredictorIO.JSON_FILE);
    String doc = Files.readString(json);
    Files.writeString(json, doc.replace("\"hat10-v1\"", "\"hat12-v2\""));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PredictorIO.load(dir));
    assertTrue(
        e.getMessage().contains("fitted on feature set 'hat12-v2'")
            && e.getMessage().contains("refit"),
        e.getMessage());

    Files.writeString(json, doc.replace("\"decoder_layer_num\"", "\"decoder_layers\""));
    assertThrows(IllegalArgumentException.class, () -> PredictorIO.load(dir));

    Files.writeString(json, doc.replace("\"hat10\"", "\"hat10+future\""));
    IllegalArgumentException derived =
        assertThrows(IllegalArgumentException.class, () -> PredictorIO.load(dir));
    assertTrue(derived.getMessage().contains("hat10+future"), derived.getMessage());
  }

  @Test
  void metricsJsonHasTheAgreedShape() {
    Metrics m = PredictorEval.metrics(new double[] {100, 210, 290}, new double[] {100, 200, 300});
    assertEquals(3, m.n());
    assertEquals(Math.sqrt(200.0 / 3), m.rmseMs(), 1e-12);
    assertEquals(100 * (0.05 + 10.0 / 300) / 3, m.mapdPct(), 1e-12);
    assertEquals(100, m.within5Pct());
    assertEquals(1, m.kendallTau(), 1e-12);
    assertTrue(
        m.toJson()
            .matches(
                "\\{\"n\":3,\"rmse_ms\":8\\.16497,\"mapd_pct\":2\\.77778,\"within_5_pct\":100,"
                    + "\"within_10_pct\":100,\"r2\":0\\.99,\"kendall_tau\":1}"),
        m.toJson());
  }
}
