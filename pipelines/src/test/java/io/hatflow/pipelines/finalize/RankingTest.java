package io.hatflow.pipelines.finalize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.schemas.FinalResult;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RankingTest {
  @Test
  void tauIsOneForTheSameOrderAndMinusOneForTheReverse() {
    List<Ranking.Scores> same =
        List.of(
            new Ranking.Scores("a", 5.0, 4.0, 20),
            new Ranking.Scores("b", 6.0, 4.5, 15),
            new Ranking.Scores("c", 7.0, 5.0, 10));
    Ranking.Tau t = Ranking.tau(same);
    assertEquals(1.0, t.lossVsLoss(), 1e-12);
    assertEquals(1.0, t.lossVsBleu(), 1e-12, "lower inherited loss with higher BLEU is agreement");
    List<Ranking.Scores> reversed =
        List.of(
            new Ranking.Scores("a", 5.0, 5.0, 10),
            new Ranking.Scores("b", 6.0, 4.5, 15),
            new Ranking.Scores("c", 7.0, 4.0, 20));
    assertEquals(-1.0, Ranking.tau(reversed).lossVsLoss(), 1e-12);
    assertEquals(-1.0, Ranking.tau(reversed).lossVsBleu(), 1e-12);
    // one discordant pair of three: (3 - 1 * 2) / 3
    List<Ranking.Scores> oneSwap =
        List.of(
            new Ranking.Scores("a", 1, 1, 0),
            new Ranking.Scores("b", 2, 3, 0),
            new Ranking.Scores("c", 3, 2, 0));
    assertEquals(1.0 / 3, Ranking.tau(oneSwap).lossVsLoss(), 1e-12);
    assertTrue(
        Double.isNaN(Ranking.tau(List.of(same.get(0))).lossVsLoss()), "undefined for one model");
  }

  @Test
  void overBudgetOnlyBeyondTenPercent() {
    assertFalse(Ranking.overBudget(109.9, 100, 0.1));
    assertFalse(Ranking.overBudget(110.0, 100, 0.1));
    assertTrue(Ranking.overBudget(110.1, 100, 0.1));
    assertFalse(Ranking.overBudget(Double.NaN, 100, 0.1), "not measured is not over budget");
    assertEquals(10.0, Ranking.errorPct(110, 100), 1e-12);
    assertEquals(-50.0, Ranking.errorPct(50, 100), 1e-12);
  }

  @Test
  void shapeSpaceHoldsExactlyTheConfigAndItsLargestCoversIt() {
    SearchSpace tiny = SearchSpace.preset("tiny");
    Random rnd = new Random(3);
    for (int i = 0; i < 50; i++) {
      SubConfig c = tiny.sample(rnd).active();
      SearchSpace s = Candidate.shapeSpace(c, tiny.qkvDim());
      assertTrue(s.contains(c), c.key());
      assertEquals(c.encoderLayerNum(), s.largest().encoderLayerNum());
      assertEquals(c.decoderLayerNum(), s.largest().decoderLayerNum());
      assertTrue(
          tiny.contains(s.largest())
              || s.largest().encoderEmbedDim() <= tiny.max(SearchSpace.ENCODER_EMBED_DIM),
          "the shape is inside the SuperTransformer");
    }
  }

  @Test
  void randomControlsAreSeededAndDistinctFromWinners() {
    SearchSpace tiny = SearchSpace.preset("tiny");
    Candidate w = new Candidate("t-10ms", Candidate.WINNER, "t", 10.0, tiny.smallest().active());
    List<Candidate> a = Candidate.randoms(tiny, 5, 1, List.of(w));
    assertEquals(a, Candidate.randoms(tiny, 5, 1, List.of(w)), "same seed, same controls");
    assertNotEquals(a, Candidate.randoms(tiny, 5, 2, List.of(w)));
    HashSet<String> keys = new HashSet<>();
    a.forEach(c -> keys.add(c.config().key()));
    assertEquals(5, keys.size());
    assertFalse(keys.contains(w.config().key()));
    assertEquals("random-0", a.get(0).name());
  }

  @Test
  void csvHasOneColumnTripletPerTarget() {
    FinalResult r =
        FinalResult.newBuilder()
            .setName("t-10ms")
            .setKind("winner")
            .setMode("scratch")
            .setTarget("t")
            .setBudgetMs(10.0)
            .setConfigKey("E1|D2")
            .setConfig("{}")
            .setParams(10)
            .setFlops(20)
            .setInheritedLoss(5)
            .setTrainedLoss(4)
            .setBleu(12.5)
            .setPredictedMs(Map.of("t", 11.0, "u", 3.0))
            .setMeasuredMs(Map.of("t", 10.0))
            .setOverBudget(false)
            .build();
    String[] lines = FinalizeOutputs.csv(List.of(r)).split("\n");
    assertTrue(
        lines[0].endsWith(
            "predicted_ms_t,measured_ms_t,error_pct_t,predicted_ms_u,measured_ms_u,error_pct_u,over_budget"
                + ",bleu_djl,measured_ms_djl,bleu_onnx-fp32,measured_ms_onnx-fp32,bleu_onnx-int8,measured_ms_onnx-int8,export_dir,update,updated_layers,updated_params"),
        lines[0]);
    assertTrue(lines[0].startsWith("name,kind,mode,target,"), lines[0]);
    assertEquals(
        "t-10ms,winner,scratch,t,10.0000,\"E1|D2\",10,20,5.00000,4.00000,-1,12.5000,11.0000,10.0000,10.0000,3.00000,,,false"
            + ",,,,,,,,all,,-1",
        lines[1]);
  }
}
