package io.hatflow.model.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.latency.LatencyCsv;
import io.hatflow.core.latency.LatencyRow;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.latency.Split;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.SearchSpace;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transfer to a "new device" made deterministically from HAT's Xeon set: other part costs, its own
 * noise.
 */
class TransferFitTest {
  static LatencyTable xeon;
  static LatencyTable device;
  static Split split;

  @TempDir Path tmp;

  @BeforeAll
  static void load() {
    xeon = LatencyCsv.read(PredictorTest.testdata().resolve("latency/wmt14ende_cpu_xeon_all.csv"));
    split =
        Split.read(
            PredictorTest.testdata().resolve("latency/wmt14ende_cpu_xeon_seed0_split.json"),
            xeon.size());
    device = newDevice(xeon);
  }

  /**
   * A device 2.5x slower on the encoder, whose decoder cost per layer is 1.6x and grows faster with
   * the FFN width, plus a fixed 15 ms per sentence and 2% multiplicative noise (seeded).
   */
  static LatencyTable newDevice(LatencyTable t) {
    Random rnd = new Random(7);
    List<LatencyRow> rows = new ArrayList<>();
    for (LatencyRow r : t.rows()) {
      double ffn = r.feature(6) / 3072.0;
      double noise = 1 + 0.02 * rnd.nextGaussian();
      rows.add(
          new LatencyRow(
              r.features(),
              2.5 * r.meanEncoderMs() * noise,
              (1.6 * (0.8 + 0.4 * ffn) * r.meanDecoderMs() + 15) * noise,
              r.stdEncoderMs(),
              r.stdDecoderMs()));
    }
    return new LatencyTable("simulated-device", rows);
  }

  static List<LatencyRow> firstTrain(LatencyTable t, int k) {
    return t.select(Arrays.copyOf(split.train(), k));
  }

  @Test
  void transferAtTwentyRowsBeatsTheDefaultOnTheSameRowsAlone() {
    TransferFit.Result t =
        TransferFit.fit(
            firstTrain(device, 20), List.of(new TransferFit.Source("xeon", "sha-xeon", xeon)));
    Metrics transfer = PredictorEval.eval(t.predictor(), device.select(split.test()));
    Split twenty =
        new Split("first 20", Arrays.copyOf(split.train(), 20), split.valid(), split.test());
    Metrics alone = PredictorFit.fit(device, twenty, PredictorFit.DEFAULT_MODEL, 1).test();
    assertTrue(transfer.mapdPct() < alone.mapdPct(), transfer + " vs " + alone);
    assertTrue(transfer.rmseMs() < alone.rmseMs(), transfer + " vs " + alone);
    assertEquals(20, t.leaveOneOut().n());
    assertEquals("sha-xeon", t.predictor().source());
    assertTrue(t.selection().contains("xeon"), t.selection());
  }

  @Test
  void choosesTheSourceOfTheRightShape() {
    // A source whose decoder does not depend on the FFN width or layers at all: a worse shape, left
    // unchosen.
    List<LatencyRow> flat = new ArrayList<>();
    for (LatencyRow r : xeon.rows()) {
      flat.add(new LatencyRow(r.features(), r.meanEncoderMs(), 50 + r.feature(4) / 10, 0, 0));
    }
    TransferFit.Result t =
        TransferFit.fit(
            firstTrain(device, 20),
            List.of(
                new TransferFit.Source("flat", "sha-flat", new LatencyTable("flat", flat)),
                new TransferFit.Source("xeon", "sha-xeon", xeon)));
    assertEquals("sha-xeon", t.predictor().source(), t.selection());
  }

  @Test
  void savesAndLoadsWithItsTransferRecord() {
    TransferFit.Result t =
        TransferFit.fit(
            firstTrain(device, 20), List.of(new TransferFit.Source("xeon", "abc123", xeon)));
    Metrics test = PredictorEval.eval(t.predictor(), device.select(split.test()));
    Path dir = tmp.resolve("p");
    PredictorIO.save(
        dir,
        new FitResult(
            t.predictor(), t.train(), t.leaveOneOut(), test, t.fitSeconds(), 1, t.selection()),
        new PredictorMeta("hat-wmt-space0", "new", "new.csv", "")
            .withTransfer(new PredictorMeta.Transfer(List.of("abc123"), 20)));
    PredictorIO.Loaded l = PredictorIO.load(dir, "hat-wmt-space0");
    assertEquals(TransferPredictor.NAME, l.predictor().name());
    assertEquals(new PredictorMeta.Transfer(List.of("abc123"), 20), l.meta().transfer());
    assertEquals("transfer", l.document().path("transfer").path("fitted_by").asText());
    double[][] x = LatencyTable.features(device.select(split.test()));
    assertArrayEquals(t.predictor().predictBatch(x), l.predictor().predictBatch(x), 1e-9);
  }

  @Test
  void refusesASourceOfAnotherSpace() {
    LatencyTable tiny =
        LatencyCsv.read(PredictorTest.testdata().resolve("latency/tiny-epyc-1t.csv"));
    SearchSpace wmt = SearchSpace.preset("hat-wmt-space0").widenedForLatency();
    TransferFit.checkSpace(wmt, xeon, "xeon.csv"); // HAT's set is of that space
    UserInputException e =
        assertThrows(
            UserInputException.class,
            () -> TransferFit.checkSpace(wmt, tiny, "tiny-epyc-1t.csv (--transfer-from)"));
    assertTrue(
        e.getMessage()
            .startsWith(
                "tiny-epyc-1t.csv (--transfer-from): line 2: encoder_embed_dim is 128,"
                    + " outside search space"),
        e.getMessage());
    UserInputException back =
        assertThrows(
            UserInputException.class,
            () ->
                TransferFit.checkSpace(
                    SearchSpace.preset("tiny").widenedForLatency(), xeon, "xeon.csv"));
    assertTrue(
        back.getMessage().contains("xeon.csv: line 2: encoder_embed_dim is 640"),
        back.getMessage());
  }

  @Test
  void needsAFewRowsAndASource() {
    List<TransferFit.Source> src = List.of(new TransferFit.Source("xeon", "s", xeon));
    assertThrows(UserInputException.class, () -> TransferFit.fit(firstTrain(device, 3), src));
    assertThrows(
        UserInputException.class, () -> TransferFit.fit(firstTrain(device, 20), List.of()));
  }
}
