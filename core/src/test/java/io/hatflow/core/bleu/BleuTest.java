package io.hatflow.core.bleu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hatflow.core.bleu.BleuOptions.Smoothing;
import io.hatflow.core.bleu.BleuOptions.Tokenize;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Expected values are derived by hand from sacreBLEU 2.6.0's algorithm (bleu.py: clipped n-gram
 * counts, closest ref length, BP = exp(1 - ref/sys) when sys < ref, exp smoothing 100 / (2^k *
 * total), score = BP * exp(mean(log p))). sacreBLEU itself is not installed here (no PyPI), so
 * there is no direct comparison; the arithmetic in the comments is the check.
 */
class BleuTest {
  private static final BleuOptions DEF = BleuOptions.defaults();
  private static final double EPS = 1e-9;

  private static BleuScore bleu(String hyp, String ref, BleuOptions o) {
    return Bleu.corpusBleu(List.of(hyp), List.of(ref), o);
  }

  @Test
  void perfectMatchIs100() {
    // 6 tokens; every n-gram matches: 6/6, 5/5, 4/4, 3/3; BP = 1.
    BleuScore s = bleu("the cat sat on the mat", "the cat sat on the mat", DEF);
    assertEquals(100.0, s.score(), EPS);
    assertArrayEquals(new long[] {6, 5, 4, 3}, s.counts());
    assertArrayEquals(new long[] {6, 5, 4, 3}, s.totals());
    assertEquals(1.0, s.bp());
    assertEquals(
        "BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)",
        s.formatted());
    assertEquals("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0", s.signature());
  }

  @Test
  void zeroOverlapIsZeroWithZeroPrecisions() {
    // No unigram matches: sacreBLEU's early stop returns 0 with precisions all 0 (no smoothing
    // applied).
    BleuScore s = bleu("a b c d", "e f g h", DEF);
    assertEquals(0.0, s.score());
    assertArrayEquals(new double[] {0, 0, 0, 0}, s.precisions());
    assertArrayEquals(new long[] {4, 3, 2, 1}, s.totals());
    assertEquals(
        "BLEU = 0.00 0.0/0.0/0.0/0.0 (BP = 1.000 ratio = 1.000 hyp_len = 4 ref_len = 4)",
        s.formatted());
  }

  @Test
  void brevityPenalty() {
    // hyp 4 tokens, all n-grams in the ref: precisions 4/4, 3/3, 2/2, 1/1 = 100 each.
    // ref 6 tokens > 4: BP = exp(1 - 6/4) = exp(-0.5) = 0.60653065971...; score = 100 * BP.
    BleuScore s = bleu("the cat sat on", "the cat sat on the mat", DEF);
    assertEquals(100 * Math.exp(-0.5), s.score(), EPS);
    assertEquals(60.653065971263345, s.score(), 1e-9);
    assertEquals(Math.exp(-0.5), s.bp(), 1e-15);
    assertEquals(
        "BLEU = 60.65 100.0/100.0/100.0/100.0 (BP = 0.607 ratio = 0.667 hyp_len = 4 ref_len = 6)",
        s.formatted());
  }

  @Test
  void longerHypothesisHasNoPenalty() {
    // hyp 7 tokens vs ref 6: BP = 1. Unigrams: the x2 (ref has 2), cat sat on mat, "today" no ->
    // 6/7.
    // Bigrams: the cat, cat sat, sat on, on the, the mat match; "mat today" no -> 5/6.
    // Trigrams 4/5, 4-grams 3/4. score = 100 * (6/7 * 5/6 * 4/5 * 3/4)^(1/4) = 100 * (3/7)^(1/4).
    BleuScore s = bleu("the cat sat on the mat today", "the cat sat on the mat", DEF);
    assertEquals(1.0, s.bp());
    assertEquals(100 * Math.pow(3.0 / 7.0, 0.25), s.score(), 1e-9);
  }

  // hyp "the cat the dog" vs ref "the dog the cat":
  // unigrams the x2, cat, dog all matched: 4/4 = 100
  // bigrams "the cat", "cat the", "the dog" vs ref {the dog, dog the, the cat}: 2/3 = 66.67
  // trigrams "the cat the", "cat the dog" vs {the dog the, dog the cat}: 0/2
  // 4-gram "the cat the dog" vs "the dog the cat": 0/1
  private static final String SWAP_HYP = "the cat the dog";
  private static final String SWAP_REF = "the dog the cat";

  @Test
  void expSmoothingOfZeroHigherOrders() {
    // exp: first zero order k=1 -> 100/(2*2) = 25; second k=2 -> 100/(4*1) = 25.
    // score = (100 * 66.667 * 25 * 25)^(1/4) = (4,166,666.67)^(1/4) = 45.18010018...
    BleuScore s = bleu(SWAP_HYP, SWAP_REF, DEF);
    assertArrayEquals(new long[] {4, 2, 0, 0}, s.counts());
    assertArrayEquals(new long[] {4, 3, 2, 1}, s.totals());
    assertArrayEquals(new double[] {100, 200.0 / 3, 25, 25}, s.precisions(), 1e-12);
    assertEquals(45.18010018049227, s.score(), 1e-9);
    assertEquals(
        "BLEU = 45.18 100.0/66.7/25.0/25.0 (BP = 1.000 ratio = 1.000 hyp_len = 4 ref_len = 4)",
        s.formatted());
  }

  @Test
  void otherSmoothingMethods() {
    // none: p3 = p4 = 0 -> log floored at -9999999999 -> score 0.
    BleuScore none = bleu(SWAP_HYP, SWAP_REF, DEF.withSmoothing(Smoothing.NONE, null));
    assertEquals(0.0, none.score());
    assertEquals("nrefs:1|case:mixed|eff:no|tok:13a|smooth:none|version:2.6.0", none.signature());
    // floor 0.1: p3 = 100*0.1/2 = 5, p4 = 100*0.1/1 = 10 -> (100 * 66.67 * 5 * 10)^(1/4) =
    // 24.0281...
    BleuScore floor = bleu(SWAP_HYP, SWAP_REF, DEF.withSmoothing(Smoothing.FLOOR, null));
    assertEquals(24.028114141347555, floor.score(), 1e-9);
    assertEquals(
        "nrefs:1|case:mixed|eff:no|tok:13a|smooth:floor[0.10]|version:2.6.0", floor.signature());
    // add-k 1 (orders >= 2): p2 = 3/4 = 75, p3 = 1/3 = 33.3, p4 = 1/2 = 50 -> 59.4603...
    BleuScore addK = bleu(SWAP_HYP, SWAP_REF, DEF.withSmoothing(Smoothing.ADD_K, null));
    assertEquals(59.460355750136046, addK.score(), 1e-9);
    assertEquals(
        "nrefs:1|case:mixed|eff:no|tok:13a|smooth:add-k[1.00]|version:2.6.0", addK.signature());
    BleuScore addHalf = bleu(SWAP_HYP, SWAP_REF, DEF.withSmoothing(Smoothing.ADD_K, 0.5));
    // p2 = 2.5/3.5, p3 = 0.5/2.5, p4 = 0.5/1.5
    double expected = 100 * Math.pow(1.0 * (2.5 / 3.5) * (0.5 / 2.5) * (0.5 / 1.5), 0.25);
    assertEquals(expected, addHalf.score(), 1e-9);
    assertEquals(
        "nrefs:1|case:mixed|eff:no|tok:13a|smooth:add-k[0.50]|version:2.6.0", addHalf.signature());
  }

  @Test
  void shortSegmentsNeedEffectiveOrder() {
    // 2 tokens: no trigrams at all -> loop breaks at n=3, p3 = p4 = 0 -> corpus BLEU 0 (sacreBLEU's
    // known behaviour); with effective order only orders 1..2 count -> 100.
    assertEquals(0.0, bleu("the cat", "the cat", DEF).score());
    BleuScore eff = bleu("the cat", "the cat", DEF.withEffectiveOrder(true));
    assertEquals(100.0, eff.score(), EPS);
    assertEquals("nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.6.0", eff.signature());
  }

  @Test
  void lowercase() {
    String hyp = "The Cat Sat On The Mat";
    String ref = "the cat sat on the mat";
    // mixed case: "The" != "the", "Cat" != "cat", ... -> no unigram matches at all -> 0
    assertEquals(0.0, bleu(hyp, ref, DEF).score());
    BleuScore lc = bleu(hyp, ref, DEF.withLowercase(true));
    assertEquals(100.0, lc.score(), EPS);
    assertEquals("nrefs:1|case:lc|eff:no|tok:13a|smooth:exp|version:2.6.0", lc.signature());
  }

  @Test
  void corpusLevelPoolsCountsAcrossSegments() {
    // seg1 perfect (6/6, 5/5, 4/4, 3/3), seg2 no overlap (0/4, 0/3, 0/2, 0/1).
    // Pooled: 6/10, 5/8, 4/6, 3/4 = 60, 62.5, 66.67, 75 -> (0.1875)^(1/4) * 100 = 65.8037...
    BleuScore s =
        Bleu.corpusBleu(
            List.of("the cat sat on the mat", "a b c d"),
            List.of("the cat sat on the mat", "e f g h"),
            DEF);
    assertArrayEquals(new long[] {6, 5, 4, 3}, s.counts());
    assertArrayEquals(new long[] {10, 8, 6, 4}, s.totals());
    assertEquals(65.80370064762461, s.score(), 1e-9);
    assertEquals(100 * Math.pow(0.1875, 0.25), s.score(), 1e-9);
  }

  @Test
  void tokenizationMattersForTheScore() {
    // 13a splits the final period and comma: hyp "Hello , world ." (4 tokens) matches ref exactly
    // -> 100.
    assertEquals(100.0, bleu("Hello, world.", "Hello , world .", DEF).score(), EPS);
    // With no tokenization "Hello," and "world." are tokens: unigrams 0/2 -> 0.
    assertEquals(
        0.0, bleu("Hello, world.", "Hello , world .", DEF.withTokenize(Tokenize.NONE)).score());
  }

  @Test
  void emptyAndWhitespaceOnlyLines() {
    // Trailing whitespace is stripped; an empty hyp adds 0 to sys_len but its ref still counts in
    // ref_len.
    BleuScore s =
        Bleu.corpusBleu(
            List.of("the cat sat on the mat  \r", ""),
            List.of("the cat sat on the mat", "x y"),
            DEF);
    assertEquals(6, s.sysLen());
    assertEquals(8, s.refLen());
    assertEquals(100 * Math.exp(1 - 8.0 / 6.0), s.score(), 1e-9);
    // All hypotheses empty: BP = 0, score 0, ratio 0/4.
    BleuScore empty = Bleu.corpusBleu(List.of("", " "), List.of("a b", "c d"), DEF);
    assertEquals(0.0, empty.score());
    assertEquals(
        "BLEU = 0.00 0.0/0.0/0.0/0.0 (BP = 0.000 ratio = 0.000 hyp_len = 0 ref_len = 4)",
        empty.formatted());
  }

  @Test
  void multipleReferencesTakeMaxCountsAndClosestLength() {
    String hyp = "the cat sat on the mat";
    String ref1 = "the cat sat on a mat";
    String ref2 = "a cat sat on the mat today";
    // ref1 alone: unigrams 5/6 (only one "the"), bigrams the cat|cat sat|sat on = 3/5,
    // trigrams the cat sat|cat sat on = 2/4, 4-grams the cat sat on = 1/3 -> 53.728...
    assertEquals(53.7284965911771, bleu(hyp, ref1, DEF).score(), 1e-9);
    // both: max counts over refs ("the" still 1 in each) -> 5/6, 5/5, 4/4, 3/3; closest length 6
    // (ref1)
    // -> 100 * (5/6)^(1/4) = 95.544...
    BleuScore both =
        Bleu.corpusBleuMultiRef(List.of(hyp), List.of(List.of(ref1), List.of(ref2)), DEF);
    assertEquals(95.54427922043672, both.score(), 1e-9);
    assertEquals(6, both.refLen());
    assertEquals("nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0", both.signature());
    // closest length tie (|3-2| = |3-4|) goes to the shorter reference
    BleuScore tie =
        Bleu.corpusBleuMultiRef(List.of("a b c"), List.of(List.of("a b"), List.of("a b c d")), DEF);
    assertEquals(2, tie.refLen());
    // a missing reference (null) in one stream -> variable number of references
    BleuScore var =
        Bleu.corpusBleuMultiRef(
            List.of("a b c d", "e f g h"),
            List.of(List.of("a b c d", "e f g h"), Arrays.asList("x", null)),
            DEF);
    assertEquals(100.0, var.score(), EPS);
    assertEquals("nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0", var.signature());
  }

  @Test
  void mismatchedListsAreRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Bleu.corpusBleu(List.of("a", "b"), List.of("a"), DEF));
    assertEquals("BLEU: 2 hypotheses but reference stream 1 has 1 segments", e.getMessage());
  }

  @Test
  void jsonHasTheScoreFields() throws Exception {
    BleuScore s = bleu(SWAP_HYP, SWAP_REF, DEF);
    String json = s.toJson();
    assertEquals(-1, json.indexOf('\n'));
    JsonNode j = new ObjectMapper().readTree(json);
    assertEquals("BLEU", j.get("name").asText());
    assertEquals(s.score(), j.get("score").asDouble());
    assertEquals(s.signature(), j.get("signature").asText());
    assertEquals(25.0, j.get("precisions").get(3).asDouble());
    assertEquals(2, j.get("counts").get(1).asLong());
    assertEquals(1.0, j.get("bp").asDouble());
    assertEquals(1.0, j.get("ratio").asDouble());
    assertEquals(4, j.get("hyp_len").asLong());
    assertEquals(4, j.get("ref_len").asLong());
    assertEquals(
        "100.0/66.7/25.0/25.0 (BP = 1.000 ratio = 1.000 hyp_len = 4 ref_len = 4)",
        j.get("verbose_score").asText());
  }

  @Test
  void numbersAreFormattedLikePythonNotJava() {
    // Python rounds the exact binary value half-even; Java's %.2f would print 0.13 and 1.01 here.
    assertEquals("0.12", Bleu.fixed(0.125, 2));
    assertEquals("1.00", Bleu.fixed(1.005, 2));
    assertEquals("2.67", Bleu.fixed(2.675, 2));
    assertEquals("45.2", Bleu.fixed(45.17, 1));
    assertEquals("100.00", Bleu.fixed(100.0, 2));
  }

  @Test
  void packedAndStringCountingAgreeOnRandomSegments() {
    Random rnd = new Random(7);
    for (int trial = 0; trial < 2000; trial++) {
      String[] hyp = randomTokens(rnd, rnd.nextInt(12));
      String[][] refs = new String[1 + rnd.nextInt(3)][];
      for (int r = 0; r < refs.length; r++) {
        refs[r] = randomTokens(rnd, rnd.nextInt(12));
      }
      long[] packed = new long[SegmentStats.SIZE];
      long[] strings = new long[SegmentStats.SIZE];
      SegmentStats.accumulate(hyp, refs, packed);
      strings[SegmentStats.HYP_LEN] = hyp.length;
      strings[SegmentStats.REF_LEN] = SegmentStats.closestRefLen(hyp.length, refs);
      for (int n = 1; n <= 4; n++) {
        strings[SegmentStats.TOTAL + n - 1] = Math.max(0, hyp.length - n + 1);
      }
      SegmentStats.accumulateByStrings(hyp, refs, strings);
      assertArrayEquals(
          strings, packed, () -> Arrays.toString(hyp) + " vs " + Arrays.deepToString(refs));
    }
  }

  @Test
  void segmentWithMoreTypesThanFitInPackedKeys() {
    // 40,000 distinct tokens exceed the 15-bit ids, so counting falls back to string n-grams.
    List<String> toks = new ArrayList<>();
    for (int i = 0; i < 40_000; i++) {
      toks.add("w" + i);
    }
    String line = String.join(" ", toks);
    String shorter = String.join(" ", toks.subList(0, 39_999)) + " other";
    BleuScore s = bleu(shorter, line, DEF);
    assertArrayEquals(new long[] {39_999, 39_998, 39_997, 39_996}, s.counts());
    assertArrayEquals(new long[] {40_000, 39_999, 39_998, 39_997}, s.totals());
  }

  private static String[] randomTokens(Random rnd, int n) {
    String[] t = new String[n];
    for (int i = 0; i < n; i++) {
      t[i] = String.valueOf((char) ('a' + rnd.nextInt(3)));
    }
    return t;
  }
}
